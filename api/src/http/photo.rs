//! `GET /photos/{id}` and `GET /photos/{id}/thumbnail`: a photo and its thumbnail, for staff,
//! its author and the people tagged in it (bearer token); to anyone else — without a token
//! too — and for an id that does not exist, the same 404. Served from whichever store the
//! configuration names, so any instance serves a photo shared through another.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::{
    error::{ApiError, ApiResult},
    http::{attachment::private_picture, credentials::viewer_of},
    people::Access,
    photos,
    state::AppState,
};

pub async fn file(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    private_picture(picture(&request, &path, &state, false).await, "photo")
}

pub async fn thumbnail(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    private_picture(picture(&request, &path, &state, true).await, "photo")
}

async fn picture(
    request: &HttpRequest,
    id: &str,
    state: &AppState,
    thumbnail: bool,
) -> ApiResult<(String, &'static str, Vec<u8>)> {
    let viewer = viewer_of(request, state).await?;
    let person = viewer.require(Access::Account)?;
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound("photo"))?;
    let photo = photos::service::visible(&state.db, person, id).await?;
    let (key, content_type, name) = if thumbnail {
        (
            &photo.thumbnail_key,
            "image/jpeg",
            format!("photo-{id}-thumbnail.jpg"),
        )
    } else if photo.media_type == "image/png" {
        (&photo.file_key, "image/png", format!("photo-{id}.png"))
    } else {
        (&photo.file_key, "image/jpeg", format!("photo-{id}.jpg"))
    };
    let bytes = state.storage.get(key).await?;
    Ok((name, content_type, bytes.to_vec()))
}
