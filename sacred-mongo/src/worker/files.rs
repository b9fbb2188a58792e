//! GridFS (bucket `fs`): uploads of sources and artifacts, and the output file.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use futures_util::io::AsyncWriteExt;
use mongodb::bson::{Bson, Document};
use mongodb::gridfs::GridFsUploadStream;

use super::Worker;
use crate::error::{MongoError, OpFailure};

/// GridFS's chunk size (the drivers' default, Sacred's `chunkSize: 261120`).
const CHUNK: usize = 255 * 1024;

/// What to upload.
pub(super) enum Content<'a> {
    /// Bytes in memory.
    Bytes(&'a [u8]),
    /// A file, read in chunks.
    File(&'a Path),
}

/// Writes `bytes` to `stream`, giving up after `limit` per chunk.
pub(super) async fn write(
    stream: &mut GridFsUploadStream,
    bytes: &[u8],
    limit: Duration,
) -> Result<(), OpFailure> {
    for piece in bytes.chunks(CHUNK) {
        match tokio::time::timeout(limit, stream.write_all(piece)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(OpFailure::Stream(e)),
            Err(_) => return Err(OpFailure::TimedOut(limit)),
        }
    }
    Ok(())
}

/// Closes `stream` (writing its files document); its id.
pub(super) async fn close(
    mut stream: GridFsUploadStream,
    limit: Duration,
) -> Result<Bson, OpFailure> {
    match tokio::time::timeout(limit, stream.close()).await {
        Ok(Ok(())) => Ok(stream.id().clone()),
        Ok(Err(e)) => Err(OpFailure::Stream(e)),
        Err(_) => Err(OpFailure::TimedOut(limit)),
    }
}

impl Worker {
    /// Uploads `content` as `filename` with `metadata`; the new file's id. A failed upload
    /// removes the chunks it wrote.
    pub(super) async fn upload(
        &self,
        filename: &str,
        metadata: Option<Document>,
        content: Content<'_>,
    ) -> Result<Bson, MongoError> {
        let action = format!("store `{filename}` in GridFS");
        let open = self.bucket.open_upload_stream(filename);
        let open = match metadata {
            Some(metadata) => open.metadata(metadata),
            None => open,
        };
        let mut stream = open
            .await
            .map_err(|e| self.error(&action, OpFailure::Driver(e)))?;
        let limit = self.limits.operation_timeout;
        let written = match content {
            Content::Bytes(bytes) => write(&mut stream, bytes, limit).await,
            Content::File(path) => match self.copy_file(&mut stream, path).await {
                Ok(()) => Ok(()),
                Err(e) => {
                    let _ = stream.abort().await;
                    return Err(e);
                }
            },
        };
        if let Err(f) = written {
            let _ = stream.abort().await;
            return Err(self.error(&action, f));
        }
        close(stream, limit)
            .await
            .map_err(|f| self.error(&action, f))
    }

    /// Streams the file at `path` into `stream`.
    async fn copy_file(
        &self,
        stream: &mut GridFsUploadStream,
        path: &Path,
    ) -> Result<(), MongoError> {
        let io_error = |e: std::io::Error| MongoError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let mut file = std::fs::File::open(path).map_err(io_error)?;
        let mut buffer = vec![0u8; CHUNK];
        loop {
            let n = file.read(&mut buffer).map_err(io_error)?;
            if n == 0 {
                return Ok(());
            }
            write(stream, &buffer[..n], self.limits.operation_timeout)
                .await
                .map_err(|f| self.error(&format!("store `{}` in GridFS", path.display()), f))?;
        }
    }
}
