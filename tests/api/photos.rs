//! Photos and their rights, through the contract's `photos.graphql`: a photowalk's
//! participants share photos (the GraphQL multipart request), staff tag who appears in them,
//! consents to IMAGE_RIGHTS given and withdrawn decide what the office may reuse, and the files
//! stay private — on two instances sharing a real S3 server (s3s-fs over a folder).

use std::{io::Cursor, path::PathBuf};

use image::{DynamicImage, ImageFormat, RgbImage};
use serde_json::{Value, json};

use crate::helpers::{Gql, PASSWORD, TestApp, spawn_app, spawn_beside};

/// A real S3 server (s3s-fs, the S3 API over a folder) on a free port, with one bucket.
struct S3Server {
    /// What `KLUB_STORAGE_URL` names it by.
    url: String,
    /// The bucket's folder: what the store holds, read behind the API's back.
    bucket: PathBuf,
    _root: tempfile::TempDir,
}

impl S3Server {
    async fn start() -> Self {
        use hyper_util::{
            rt::{TokioExecutor, TokioIo},
            server::conn::auto::Builder,
        };
        let root = tempfile::tempdir().unwrap();
        let bucket = root.path().join("klub-photos");
        std::fs::create_dir_all(&bucket).unwrap();
        let store = s3s_fs::FileSystem::new(root.path()).unwrap();
        let mut builder = s3s::service::S3ServiceBuilder::new(store);
        builder.set_auth(s3s::auth::SimpleAuth::from_single(
            "klub",
            "a-secret/with+signs",
        ));
        let service = builder.build();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let service = service.clone();
                tokio::spawn(async move {
                    let _ = Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(socket), service)
                        .await;
                });
            }
        });
        Self {
            url: format!(
                "s3://klub:a-secret%2Fwith%2Bsigns@klub-photos?endpoint=http://127.0.0.1:{port}"
            ),
            bucket,
            _root: root,
        }
    }

    /// Every file the bucket holds, with its bytes.
    fn files(&self) -> Vec<(String, Vec<u8>)> {
        let folder = self.bucket.join("photos");
        let Ok(entries) = std::fs::read_dir(&folder) else {
            return Vec::new();
        };
        let mut files: Vec<(String, Vec<u8>)> = entries
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.is_file())
            .map(|path| {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read(&path).unwrap())
            })
            .filter(|(name, _)| !name.starts_with('.'))
            .collect();
        files.sort();
        files
    }
}

/// Shares a photo as a frontend does.
async fn share(
    app: &TestApp,
    token: Option<&str>,
    variables: Value,
    file: (&str, &str, Vec<u8>),
) -> Gql {
    app.upload("SharePhoto", variables, file, token).await
}

/// A small PNG, half transparent.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut png = Cursor::new(Vec::new());
    DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
        width,
        height,
        image::Rgba([10, 200, 30, 128]),
    ))
    .write_to(&mut png, ImageFormat::Png)
    .unwrap();
    png.into_inner()
}

/// A 60 × 40 JPEG as a phone writes it: an Exif block naming the camera, where it was taken
/// (a GPS block) and that it must be turned a quarter to stand (orientation 6).
fn phone_jpeg() -> Vec<u8> {
    let picture = RgbImage::from_fn(60, 40, |x, y| {
        image::Rgb([
            u8::try_from(x * 4).unwrap(),
            u8::try_from(y * 6).unwrap(),
            90,
        ])
    });
    let mut jpeg = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(picture)
        .write_to(&mut jpeg, ImageFormat::Jpeg)
        .unwrap();
    let jpeg = jpeg.into_inner();
    // A big-endian TIFF: IFD0 (Make, Orientation, GPS pointer), the make, a GPS IFD.
    let mut tiff: Vec<u8> = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    tiff.extend([0, 3]);
    tiff.extend([0x01, 0x0f, 0, 2, 0, 0, 0, 12, 0, 0, 0, 50]); // Make → offset 50
    tiff.extend([0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]); // Orientation 6
    tiff.extend([0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 62]); // GPS IFD → offset 62
    tiff.extend([0, 0, 0, 0]);
    tiff.extend(b"KlubTestCam\x00");
    tiff.extend([0, 1]);
    tiff.extend([0x00, 0x01, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]); // GPSLatitudeRef N
    tiff.extend([0, 0, 0, 0]);
    let mut app1 = b"Exif\x00\x00".to_vec();
    app1.extend(tiff);
    let length = u16::try_from(app1.len() + 2).unwrap().to_be_bytes();
    let mut out = jpeg[..2].to_vec();
    out.extend([0xff, 0xe1, length[0], length[1]]);
    out.extend(app1);
    out.extend(&jpeg[2..]);
    out
}

async fn get(app: &TestApp, url: &str, token: Option<&str>) -> reqwest::Response {
    // The URL Klub gives names its public address; the same path on any instance serves it.
    let path = url.split("/photos/").nth(1).expect("a photo URL");
    let mut request = app.client.get(format!("{}/photos/{path}", app.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap())
        .collect()
}

async fn register_ids(app: &TestApp, admin: &str, variables: Value) -> Vec<String> {
    let page = app.op("Photos", variables, Some(admin)).await;
    page.data()["photos"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_photowalk_leaves_photos_whose_rights_are_known() {
    let s3 = S3Server::start().await;
    let storage = vec![("KLUB_STORAGE_URL", s3.url.clone())];
    let first = crate::helpers::spawn_app_with(storage.clone()).await;
    let second = spawn_beside(&first, storage).await;
    let admin = first.admin_token().await;
    let walk = first
        .published_activity(&admin, 3, json!({ "title": "Photowalk du port" }))
        .await;
    let (ann, _) = first.sign_up("ann@example.fr", "Ann").await;
    let (bob, bob_id) = first.sign_up("bob@example.fr", "Bob").await;
    let (carl, carl_id) = first.sign_up("carl@example.fr", "Carl").await;
    first.register(&walk, &ann).await;
    first.register(&walk, &bob).await;
    let in_a_month = (first.state.now() + chrono::Duration::days(30)).to_rfc3339();
    let rights = json!({ "uses": ["WEB", "SOCIAL"], "until": in_a_month, "credit": "© Ann, Photowalk 2026" });

    // Ann shares a phone's photo through the first instance.
    let shared = share(
        &first,
        Some(&ann),
        json!({ "activityId": walk, "rights": rights, "caption": "Le port au lever du jour" }),
        ("IMG_0001.JPG", "image/jpeg", phone_jpeg()),
    )
    .await;
    let photo = shared.data()["sharePhoto"].clone();
    let photo_id = photo["id"].as_str().unwrap().to_owned();
    // The camera's orientation is applied: 60 × 40 turned a quarter stands 40 × 60.
    assert_eq!(
        (photo["width"].as_i64(), photo["height"].as_i64()),
        (Some(40), Some(60))
    );
    assert_eq!(photo["reusable"], true);
    assert_eq!(photo["rights"]["uses"], json!(["WEB", "SOCIAL"]));
    assert_eq!(photo["rights"]["credit"], "© Ann, Photowalk 2026");

    // What the store holds: the picture and its thumbnail, no camera, no position, no Exif.
    let files = s3.files();
    assert_eq!(
        files.len(),
        2,
        "{:?}",
        files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for (name, bytes) in &files {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains("KlubTestCam") && !text.contains("Exif"),
            "{name} keeps metadata"
        );
    }

    // Served by the other instance, to its author and to staff; to anyone else it is not there.
    let served = get(&second, photo["url"].as_str().unwrap(), Some(&ann)).await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    let bytes = served.bytes().await.unwrap();
    assert!(!String::from_utf8_lossy(&bytes).contains("KlubTestCam"));
    let decoded = image::load_from_memory(&bytes).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (40, 60));
    let thumbnail = get(
        &second,
        photo["thumbnailUrl"].as_str().unwrap(),
        Some(&admin),
    )
    .await;
    assert_eq!(thumbnail.status(), 200);
    let thumbnail = image::load_from_memory(&thumbnail.bytes().await.unwrap()).unwrap();
    assert!(thumbnail.width() <= 400 && thumbnail.height() <= 400);
    for stranger in [Some(carl.as_str()), None, Some("not-a-token")] {
        for url in [&photo["url"], &photo["thumbnailUrl"]] {
            assert_eq!(
                get(&second, url.as_str().unwrap(), stranger).await.status(),
                404
            );
        }
    }
    let missing = format!("{}/photos/999999", first.address);
    assert_eq!(get(&first, &missing, Some(&admin)).await.status(), 404);

    // Only confirmed registrants (and staff) share; only pictures, checked by decoding them.
    let variables = json!({ "activityId": walk, "rights": rights });
    share(
        &first,
        Some(&carl),
        variables.clone(),
        ("a.jpg", "image/jpeg", phone_jpeg()),
    )
    .await
    .expect_error("FORBIDDEN");
    share(
        &first,
        None,
        variables.clone(),
        ("a.jpg", "image/jpeg", phone_jpeg()),
    )
    .await
    .expect_error("UNAUTHENTICATED");
    for (name, bytes) in [
        ("notes.jpg", b"not a picture at all".to_vec()),
        ("cut.jpg", phone_jpeg()[..300].to_vec()),
        ("image.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec()),
    ] {
        let refused = share(
            &first,
            Some(&bob),
            variables.clone(),
            (name, "image/jpeg", bytes),
        )
        .await;
        refused.expect_error("BAD_USER_INPUT");
        assert_eq!(refused.error_field(), Some("file"), "{name}");
    }
    for (rights, field) in [
        (json!({ "uses": [], "credit": "Bob" }), "rights.uses"),
        (json!({ "uses": ["WEB"], "credit": "  " }), "rights.credit"),
        (
            json!({ "uses": ["WEB"], "credit": "Bob\u{202e}" }),
            "rights.credit",
        ),
        (
            json!({ "uses": ["WEB"], "credit": "Bob", "until": "2020-01-01T00:00:00Z" }),
            "rights.until",
        ),
    ] {
        let refused = share(
            &first,
            Some(&bob),
            json!({ "activityId": walk, "rights": rights }),
            ("a.png", "image/png", png(8, 8)),
        )
        .await;
        refused.expect_error("BAD_USER_INPUT");
        assert_eq!(refused.error_field(), Some(field));
    }
    let too_large = share(
        &first,
        Some(&bob),
        variables.clone(),
        ("big.jpg", "image/jpeg", vec![0xff; 15 * 1024 * 1024 + 1]),
    )
    .await;
    assert_eq!(too_large.status, 413, "{}", too_large.body);
    assert_eq!(s3.files().len(), 2, "nothing refused was stored");

    // Bob shares a PNG through the second instance, for print, without end.
    let bobs = share(
        &second,
        Some(&bob),
        json!({ "activityId": walk, "rights": { "uses": ["PRINT"], "credit": "Bob" } }),
        ("quai.png", "image/png", png(30, 20)),
    )
    .await;
    let bobs = bobs.data()["sharePhoto"].clone();
    let bobs_id = bobs["id"].as_str().unwrap().to_owned();
    let served = get(&first, bobs["url"].as_str().unwrap(), Some(&bob)).await;
    assert_eq!(served.headers()["content-type"], "image/png");

    // Staff tag Bob in Ann's photo: he has not consented to IMAGE_RIGHTS, so he blocks it.
    let tagged = first
        .op(
            "TagPeople",
            json!({ "photoId": photo_id, "userIds": [bob_id] }),
            Some(&admin),
        )
        .await;
    let tagged = &tagged.data()["tagPeople"];
    assert_eq!(tagged["reusable"], false);
    assert_eq!(ids(&tagged["people"]), [bob_id.as_str()]);
    assert_eq!(ids(&tagged["blockedBy"]), [bob_id.as_str()]);
    // Only registrants of the activity are tagged; only staff tag.
    let refused = first
        .op(
            "TagPeople",
            json!({ "photoId": photo_id, "userIds": [bob_id, carl_id] }),
            Some(&admin),
        )
        .await;
    refused.expect_error("BAD_USER_INPUT");
    assert_eq!(refused.error_field(), Some("userIds"));
    first
        .op(
            "TagPeople",
            json!({ "photoId": photo_id, "userIds": [] }),
            Some(&ann),
        )
        .await
        .expect_error("FORBIDDEN");
    // Bob, in it, may see it now.
    assert_eq!(
        get(&second, photo["url"].as_str().unwrap(), Some(&bob))
            .await
            .status(),
        200
    );
    assert!(
        register_ids(&first, &admin, json!({ "reusableFor": "WEB" }))
            .await
            .is_empty()
    );

    // Bob consents: Ann's photo is reusable on the web; Bob's for print only.
    let text = first
        .op(
            "PublishConsentText",
            json!({ "purpose": "IMAGE_RIGHTS", "text": "Photos where I appear may be published." }),
            Some(&admin),
        )
        .await;
    let text_id = text.data()["publishConsentText"]["id"].clone();
    second
        .op("GiveConsent", json!({ "textId": text_id }), Some(&bob))
        .await
        .data();
    assert_eq!(
        register_ids(&first, &admin, json!({ "reusableFor": "WEB" })).await,
        [photo_id.as_str()]
    );
    assert_eq!(
        register_ids(&second, &admin, json!({ "reusableFor": "SOCIAL" })).await,
        [photo_id.as_str()]
    );
    assert_eq!(
        register_ids(&first, &admin, json!({ "reusableFor": "PRINT" })).await,
        [bobs_id.as_str()]
    );
    assert!(
        register_ids(&first, &admin, json!({ "reusableFor": "PRESS" }))
            .await
            .is_empty()
    );
    assert_eq!(
        register_ids(&first, &admin, json!({ "activityId": walk })).await,
        [bobs_id.clone(), photo_id.clone()]
    );
    let page = first
        .op("Photos", json!({ "first": 1 }), Some(&admin))
        .await;
    assert_eq!(page.data()["photos"]["totalCount"], 2);
    let node = &page.data()["photos"]["edges"][0]["node"];
    assert_eq!(node["author"]["name"], "Bob");
    assert_eq!(node["activity"]["title"], "Photowalk du port");
    first
        .op("Photos", json!({}), Some(&ann))
        .await
        .expect_error("FORBIDDEN");

    // Rights end: after a month, Ann's photo is no longer reusable, on any instance.
    second.state.clock.advance(chrono::Duration::days(31));
    first.state.clock.advance(chrono::Duration::days(31));
    assert!(
        register_ids(&first, &admin, json!({ "reusableFor": "WEB" }))
            .await
            .is_empty()
    );
    first.state.clock.advance(chrono::Duration::days(-31));
    second.state.clock.advance(chrono::Duration::days(-31));

    // Bob withdraws his consent: Ann's photo is blocked again.
    first
        .op(
            "WithdrawConsent",
            json!({ "purpose": "IMAGE_RIGHTS" }),
            Some(&bob),
        )
        .await
        .data();
    assert!(
        register_ids(&second, &admin, json!({ "reusableFor": "WEB" }))
            .await
            .is_empty()
    );
    let mine = first.op("MyPhotos", json!({}), Some(&ann)).await;
    assert_eq!(mine.data()["myPhotos"][0]["reusable"], false);

    // Only its author withdraws its rights; for good.
    second
        .op("WithdrawPhoto", json!({ "photoId": photo_id }), Some(&bob))
        .await
        .expect_error("FORBIDDEN");
    second
        .op("WithdrawPhoto", json!({ "photoId": photo_id }), Some(&carl))
        .await
        .expect_error("NOT_FOUND");
    let withdrawn = second
        .op("WithdrawPhoto", json!({ "photoId": photo_id }), Some(&ann))
        .await;
    assert_eq!(withdrawn.data()["withdrawPhoto"]["reusable"], false);
    second
        .op("GiveConsent", json!({ "textId": text_id }), Some(&bob))
        .await
        .data();
    assert!(
        register_ids(&first, &admin, json!({ "reusableFor": "WEB" }))
            .await
            .is_empty()
    );
    assert_eq!(
        register_ids(&first, &admin, json!({})).await.len(),
        2,
        "still on record"
    );

    // Ann's data lists her photo; deleting her account deletes it, its files and its tags.
    let data = first.op("MyData", json!({}), Some(&ann)).await;
    assert_eq!(
        data.data()["myData"]["photos"][0]["credit"],
        "© Ann, Photowalk 2026"
    );
    let data = first.op("MyData", json!({}), Some(&bob)).await;
    assert_eq!(
        data.data()["myData"]["photosShowingMe"][0]["photoId"].to_string(),
        photo_id
    );
    first
        .op(
            "DeleteMyAccount",
            json!({ "password": PASSWORD }),
            Some(&ann),
        )
        .await
        .data();
    assert_eq!(
        register_ids(&first, &admin, json!({})).await,
        [bobs_id.as_str()]
    );
    assert_eq!(s3.files().len(), 2, "Bob's picture and thumbnail remain");
    assert_eq!(
        get(&second, photo["url"].as_str().unwrap(), Some(&admin))
            .await
            .status(),
        404
    );
    let data = first.op("MyData", json!({}), Some(&bob)).await;
    assert_eq!(data.data()["myData"]["photosShowingMe"], json!([]));

    // Dora, who consented and is in Bob's photo, deletes her account: she can no longer
    // consent, so the photo is never reusable again (her tag goes, the fact stays).
    let (dora, dora_id) = first.sign_up("dora@example.fr", "Dora").await;
    first.register(&walk, &dora).await;
    first
        .op("GiveConsent", json!({ "textId": text_id }), Some(&dora))
        .await
        .data();
    first
        .op(
            "TagPeople",
            json!({ "photoId": bobs_id, "userIds": [bob_id, dora_id] }),
            Some(&admin),
        )
        .await
        .data();
    assert_eq!(
        register_ids(&first, &admin, json!({ "reusableFor": "PRINT" })).await,
        [bobs_id.as_str()]
    );
    first
        .op(
            "DeleteMyAccount",
            json!({ "password": PASSWORD }),
            Some(&dora),
        )
        .await
        .data();
    assert!(
        register_ids(&second, &admin, json!({ "reusableFor": "PRINT" }))
            .await
            .is_empty()
    );
    let mine = second.op("MyPhotos", json!({}), Some(&bob)).await;
    assert_eq!(mine.data()["myPhotos"][0]["reusable"], false);
}

/// Without object storage, photos go to a local folder (`KLUB_MEDIA_DIR`), the embedded
/// default; rights ending within 60 days are listed in the monthly report.
#[tokio::test]
async fn photos_kept_in_a_folder_and_rights_ending_in_the_report() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let walk = app.published_activity(&admin, 3, json!({})).await;
    let soon = (app.state.now() + chrono::Duration::days(20)).to_rfc3339();
    let shared = share(
        &app,
        Some(&admin),
        json!({ "activityId": walk, "rights": { "uses": ["PRESS"], "until": soon, "credit": "Office du tourisme" } }),
        ("walk.png", "image/png", png(800, 600)),
    )
    .await;
    let photo = shared.data()["sharePhoto"].clone();
    let folder = app.media_dir.path().join("photos");
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 2);
    let thumbnail = get(&app, photo["thumbnailUrl"].as_str().unwrap(), Some(&admin)).await;
    let thumbnail = image::load_from_memory(&thumbnail.bytes().await.unwrap()).unwrap();
    assert_eq!((thumbnail.width(), thumbnail.height()), (400, 300));

    let month = app.state.now().format("%Y-%m").to_string();
    let page = app
        .client
        .get(format!("{}/reports/{month}.html", app.address))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains("Office du tourisme"), "{page}");
}

/// What uploads cost the server's memory, read from outside on the server as a process: one
/// upload of nearly 15 MB (a noisy photo, the largest file accepted), one of 50 megapixels (the
/// most pixels accepted, the most decoding costs), then eight at once. Each is held whole,
/// decoded, written again: concurrency (four bodies read at once, decoding in turns) bounds
/// what a crowd of uploads costs, not their number.
#[tokio::test]
async fn uploads_cost_memory_by_concurrency_not_number() {
    use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, contract_document, upload_to};
    let folder = tempfile::tempdir().unwrap();
    let media = folder.path().join("media").display().to_string();
    let server = crate::security::server_process(
        folder.path(),
        &[
            ("KLUB_ADMIN_EMAIL", ADMIN_EMAIL),
            ("KLUB_ADMIN_PASSWORD", ADMIN_PASSWORD),
            ("KLUB_MEDIA_DIR", &media),
        ],
    )
    .await;
    let client = reqwest::Client::new();
    let op = |name: &'static str, variables: Value, token: Option<String>| {
        let client = client.clone();
        let url = format!("{}/graphql", server.address);
        async move {
            let mut request = client.post(url).json(&json!({
                "query": contract_document(name), "operationName": name, "variables": variables,
            }));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let body: Value = request.send().await.unwrap().json().await.unwrap();
            assert!(body["errors"].is_null(), "{body}");
            body["data"].clone()
        }
    };
    let token = op(
        "LogIn",
        json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD }),
        None,
    )
    .await["logIn"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let start = chrono::Utc::now() + chrono::Duration::days(3);
    let input = json!({ "kind": "WORKSHOP", "title": "Photowalk", "capacity": 10, "sessions": [
        { "startsAt": start.to_rfc3339(), "endsAt": (start + chrono::Duration::hours(3)).to_rfc3339() },
    ] });
    let walk = op(
        "CreateActivity",
        json!({ "input": input }),
        Some(token.clone()),
    )
    .await["createActivity"]["id"]
        .clone();
    let variables = json!({ "activityId": walk, "rights": { "uses": ["WEB"], "credit": "Klub" } });
    let upload = |file: Vec<u8>| {
        upload_to(
            &client,
            &server.address,
            "SharePhoto",
            variables.clone(),
            ("photo.jpg", "image/jpeg", file),
            Some(&token),
        )
    };

    // Noise compresses worst: a JPEG of nearly 15 MB, as large as a file may be.
    let noisy = {
        let mut seed: u32 = 7;
        let picture = RgbImage::from_fn(3_200, 2_500, |_, _| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let [a, b, c, _] = seed.to_le_bytes();
            image::Rgb([a, b, c])
        });
        let mut jpeg = Vec::new();
        DynamicImage::ImageRgb8(picture)
            .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
                &mut jpeg, 90,
            ))
            .unwrap();
        jpeg
    };
    // 50 megapixels of a gradient: a small file that decodes to the most memory accepted.
    let largest = {
        let picture = RgbImage::from_fn(8_600, 5_800, |x, y| {
            image::Rgb([
                u8::try_from(x % 256).unwrap(),
                u8::try_from(y % 256).unwrap(),
                128,
            ])
        });
        let mut jpeg = Vec::new();
        DynamicImage::ImageRgb8(picture)
            .write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg)
            .unwrap();
        jpeg
    };
    let mib = |bytes: usize| f64::from(u32::try_from(bytes).unwrap()) / 1024.0 / 1024.0;
    assert!(
        noisy.len() <= 15 * 1024 * 1024 && noisy.len() > 10 * 1024 * 1024,
        "{} MiB",
        mib(noisy.len())
    );

    let mut figures = Vec::new();
    for (what, file) in [("a noisy 15 MB photo", &noisy), ("50 megapixels", &largest)] {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let before = server.resident_mib().unwrap();
        server.reset_peak();
        upload(file.clone()).await.data();
        let peak = server.peak_mib().unwrap();
        figures.push(format!(
            "{what} ({:.1} MiB): +{:.0} MiB",
            mib(file.len()),
            peak - before
        ));
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let before = server.resident_mib().unwrap();
    server.reset_peak();
    let crowd = futures_util::future::join_all((0..8).map(|_| upload(noisy.clone()))).await;
    for answer in crowd {
        answer.data();
    }
    let peak = server.peak_mib().unwrap();
    figures.push(format!(
        "eight noisy photos at once: +{:.0} MiB (from {before:.0} MiB)",
        peak - before
    ));
    eprintln!("memory of uploads: {}", figures.join("; "));
    assert!(
        peak - before < 700.0,
        "eight uploads at once raised memory from {before:.0} MiB to {peak:.0} MiB"
    );
}
