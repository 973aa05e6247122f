//! The slot store on a local directory (`VIGNETTE_CACHE_DIR`, default `./cache`), for
//! the embedded default without a bucket. Writes go to a temporary file renamed into
//! place (atomic); the ETag is the blake3 hash of the content, checked on every read.

use super::store::{Fetched, SlotStore, StoreError};
use bytes::Bytes;
use futures_util::future::BoxFuture;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Temporary files start with this; they are never listed and are removed at open.
const TMP_PREFIX: &str = ".tmp-";

/// Slot objects as files in one directory.
#[derive(Debug, Clone)]
pub struct LocalDirStore {
    dir: Arc<PathBuf>,
    tmp_counter: Arc<AtomicU64>,
}

impl LocalDirStore {
    /// Opens (creating it if needed) `dir`, removing temporary files a crash left.
    pub fn new(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            if entry.file_name().to_string_lossy().starts_with(TMP_PREFIX) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(LocalDirStore {
            dir: Arc::new(dir.to_path_buf()),
            tmp_counter: Arc::new(AtomicU64::new(0)),
        })
    }

    fn path(&self, name: &str) -> PathBuf {
        debug_assert!(!name.contains('/') && !name.starts_with('.'));
        self.dir.join(name)
    }

    /// Runs blocking file work off the runtime threads.
    async fn blocking<T: Send + 'static>(
        f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?
            .map_err(|e| StoreError::Unavailable(e.to_string()))
    }
}

/// The ETag of some bytes: a blake3 hash, shortened (collisions are not a concern at
/// 128 bits and the name only has to change when the content does).
fn etag(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex()[..32].to_owned()
}

/// `Ok(None)` for a missing file.
fn read_opt(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

impl SlotStore for LocalDirStore {
    fn put<'a>(&'a self, name: &'a str, bytes: Bytes) -> BoxFuture<'a, Result<String, StoreError>> {
        let path = self.path(name);
        let n = self.tmp_counter.fetch_add(1, Ordering::Relaxed);
        let tmp = self.dir.join(format!("{TMP_PREFIX}{name}-{n}"));
        Box::pin(Self::blocking(move || {
            let tag = etag(&bytes);
            let written = std::fs::File::create(&tmp)
                .and_then(|mut f| f.write_all(&bytes))
                .and_then(|()| std::fs::rename(&tmp, &path));
            if written.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            written.map(|()| tag)
        }))
    }

    fn get_if_match<'a>(
        &'a self,
        name: &'a str,
        expected: &'a str,
    ) -> BoxFuture<'a, Result<Fetched, StoreError>> {
        let path = self.path(name);
        let expected = expected.to_owned();
        Box::pin(Self::blocking(move || {
            Ok(match read_opt(&path)? {
                None => Fetched::Missing,
                Some(bytes) if etag(&bytes) == expected => Fetched::Match(bytes.into()),
                Some(_) => Fetched::Mismatch,
            })
        }))
    }

    fn get<'a>(
        &'a self,
        name: &'a str,
        max_bytes: u64,
    ) -> BoxFuture<'a, Result<Option<Bytes>, StoreError>> {
        let path = self.path(name);
        Box::pin(async move {
            let len = match tokio::fs::metadata(&path).await {
                Ok(meta) => meta.len(),
                Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(StoreError::Unavailable(e.to_string())),
            };
            if len > max_bytes {
                return Err(StoreError::TooLarge {
                    size: len,
                    limit: max_bytes,
                });
            }
            let bytes = Self::blocking(move || read_opt(&path)).await?;
            match bytes {
                Some(b) if b.len() as u64 > max_bytes => Err(StoreError::TooLarge {
                    size: b.len() as u64,
                    limit: max_bytes,
                }),
                other => Ok(other.map(Bytes::from)),
            }
        })
    }

    fn delete<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        let path = self.path(name);
        Box::pin(Self::blocking(move || match std::fs::remove_file(&path) {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }))
    }

    fn list(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        let dir = self.dir.clone();
        Box::pin(Self::blocking(move || {
            let mut names = Vec::new();
            for entry in std::fs::read_dir(&*dir)? {
                let name = entry?.file_name().to_string_lossy().into_owned();
                if !name.starts_with(TMP_PREFIX) {
                    names.push(name);
                }
            }
            Ok(names)
        }))
    }
}
