//! Where the files Klub keeps live — photos and their thumbnails: a folder by default
//! (`KLUB_MEDIA_DIR`, `./media`), or an S3-compatible object store when several instances
//! serve the same data (`KLUB_STORAGE_URL`), through `object_store`'s one API over both. The
//! database says which keys exist and who may read them; the store only holds bytes.

use std::sync::Arc;

use crate::{
    config::{Config, ExposeSecret},
    error::{ApiError, ApiResult},
};
use object_store::{
    ObjectStore, ObjectStoreExt, PutPayload, aws::AmazonS3Builder, local::LocalFileSystem,
    path::Path,
};

#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
}

impl Storage {
    /// The store the configuration names; a folder is created if missing.
    pub fn open(config: &Config) -> ApiResult<Self> {
        let store: Arc<dyn ObjectStore> = match &config.storage_url {
            None => {
                std::fs::create_dir_all(&config.media_dir).map_err(|error| {
                    ApiError::internal(format!(
                        "KLUB_MEDIA_DIR {}: {error}",
                        config.media_dir.display()
                    ))
                })?;
                Arc::new(
                    LocalFileSystem::new_with_prefix(&config.media_dir)
                        .map_err(ApiError::internal)?,
                )
            }
            Some(url) => Arc::new(s3(url.expose_secret())?),
        };
        Ok(Self { store })
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> ApiResult<()> {
        self.store
            .put(&Path::from(key), PutPayload::from(bytes))
            .await
            .map_err(ApiError::internal)?;
        Ok(())
    }

    /// The stored bytes; a key the store does not hold is NOT_FOUND.
    pub async fn get(&self, key: &str) -> ApiResult<bytes::Bytes> {
        let got = match self.store.get(&Path::from(key)).await {
            Ok(got) => got,
            Err(object_store::Error::NotFound { .. }) => return Err(ApiError::NotFound("file")),
            Err(error) => return Err(ApiError::internal(error)),
        };
        got.bytes().await.map_err(ApiError::internal)
    }

    /// Removes a key; one already gone is fine (a deletion retried).
    pub async fn delete(&self, key: &str) -> ApiResult<()> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(ApiError::internal(error)),
        }
    }
}

/// `s3://ACCESS_KEY:SECRET_KEY@BUCKET?endpoint=URL&region=REGION`: the bucket, its
/// credentials, and for a store other than AWS its endpoint (plain `http://` is allowed for a
/// store on the same network).
fn s3(url: &str) -> ApiResult<object_store::aws::AmazonS3> {
    // rustls's process-wide provider, the one sqlx and lettre use (ring): reqwest takes it.
    // Already installed is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = url::Url::parse(url).map_err(ApiError::internal)?;
    let mut builder = AmazonS3Builder::new()
        .with_bucket_name(url.host_str().unwrap_or_default())
        .with_access_key_id(percent_decoded(url.username()))
        .with_secret_access_key(percent_decoded(url.password().unwrap_or_default()))
        .with_region("us-east-1");
    for (name, value) in url.query_pairs() {
        builder = match name.as_ref() {
            "endpoint" => builder
                .with_allow_http(value.starts_with("http://"))
                .with_virtual_hosted_style_request(false)
                .with_endpoint(value.as_ref()),
            "region" => builder.with_region(value.as_ref()),
            _ => builder,
        };
    }
    builder.build().map_err(ApiError::internal)
}

fn percent_decoded(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}
