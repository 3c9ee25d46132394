//! Quick find, on every page: each kind of record is searched only for members who may read it.

use leptos::prelude::*;

use crate::domain::AppError;
use crate::domain::find::Found;

#[server(endpoint = "find/quick", input = leptos::server_fn::codec::Json)]
pub async fn quick_find(term: String) -> Result<Vec<Found>, AppError> {
    let (request, actor) = super::ssr::guard(&[]).await?;
    crate::server::find::find(&request.state, &actor, &term).await
}
