//! Building a `mongodb::Client` for a spec: short timeouts unless the URL sets its own.

use mongodb::Client;
use mongodb::options::ClientOptions;

use crate::error::MongoError;
use crate::error::driver_error;
use crate::observer::Limits;
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
