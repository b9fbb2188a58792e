//! Talking to the server: a `mongodb::Client` for a spec (short timeouts unless the URL
//! sets its own), and one operation under a time limit ([`timed`]). Used by the worker and
//! by the reader.

use std::future::IntoFuture;
use std::time::Duration;

use mongodb::Client;
use mongodb::options::ClientOptions;

use crate::error::{MongoError, OpFailure, driver_error};
use crate::limits::Limits;
use crate::spec::MongoSpec;

/// A client for `spec` (no server contacted yet, except SRV look-ups for
/// `mongodb+srv://`). `serverSelectionTimeoutMS` and `connectTimeoutMS` default to
/// [`Limits::connect_timeout`] instead of the driver's 30 s.
pub(crate) async fn client(spec: &MongoSpec, limits: &Limits) -> Result<Client, MongoError> {
    let mut options = ClientOptions::parse(spec.url())
        .await
        .map_err(|e| driver_error(spec, "read the connection options", &e))?;
    if options.server_selection_timeout.is_none() {
        options.server_selection_timeout = Some(limits.connect_timeout);
    }
    if options.connect_timeout.is_none() {
        options.connect_timeout = Some(limits.connect_timeout);
    }
    if options.app_name.is_none() {
        options.app_name = Some("sacred-rs".to_owned());
    }
    Client::with_options(options).map_err(|e| driver_error(spec, "create the client", &e))
}

/// Runs `operation`, giving up after `limit`.
pub(crate) async fn timed<T, F>(limit: Duration, operation: F) -> Result<T, OpFailure>
where
    F: IntoFuture<Output = mongodb::error::Result<T>>,
{
    match tokio::time::timeout(limit, operation.into_future()).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(OpFailure::Driver(e)),
        Err(_) => Err(OpFailure::TimedOut(limit)),
    }
}

/// A current-thread runtime and a client for `spec`, for the blocking handles
/// ([`MongoReader`](crate::read::MongoReader), [`MongoStore`](crate::MongoStore)); `what`
/// names the handle in the error when the runtime cannot start.
pub(crate) fn blocking_client(
    spec: &MongoSpec,
    limits: &Limits,
    what: &str,
) -> Result<(tokio::runtime::Runtime, Client), MongoError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| MongoError::Worker {
            target: spec.to_string(),
            message: format!("cannot start the {what}'s runtime: {e}"),
        })?;
    let client = runtime.block_on(client(spec, limits))?;
    Ok((runtime, client))
}
