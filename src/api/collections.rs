//! Collections: indicative order rates, an order locked then created, payment links and hosted
//! checkouts, one followed, the list.

use leptos::prelude::*;

use crate::domain::AppError;
use crate::domain::collections::{
    CollectionFilter, CollectionList, CollectionView, IndicativeRate, LinkInput, OrderInput,
};

#[cfg(feature = "ssr")]
use crate::domain::Permission::*;
#[cfg(feature = "ssr")]
use crate::server::collections as service;

#[server(endpoint = "collections/rates", input = leptos::server_fn::codec::Json)]
pub async fn fetch_order_rates() -> Result<Vec<IndicativeRate>, AppError> {
    let (request, _) = super::ssr::guard(&[CollectionsRead]).await?;
    service::rates(&request.state).await
}

#[server(endpoint = "collections/lock_order", input = leptos::server_fn::codec::Json)]
pub async fn lock_order(input: OrderInput) -> Result<CollectionView, AppError> {
    let (request, actor) = super::ssr::guard(&[CollectionsRead, CollectionsCreate]).await?;
    service::lock_order(&request.state, &actor, &input).await
}

#[server(endpoint = "collections/create_order", input = leptos::server_fn::codec::Json)]
pub async fn create_order(id: String) -> Result<CollectionView, AppError> {
    let (request, actor) = super::ssr::guard(&[CollectionsRead, CollectionsCreate]).await?;
    service::create_order(&request.state, &actor, &id).await
}

#[server(endpoint = "collections/create_link", input = leptos::server_fn::codec::Json)]
pub async fn create_link(input: LinkInput) -> Result<CollectionView, AppError> {
    let (request, actor) = super::ssr::guard(&[CollectionsRead, CollectionsCreate]).await?;
    service::create_link(&request.state, &actor, &input).await
}

#[server(endpoint = "collections/get", input = leptos::server_fn::codec::Json)]
pub async fn fetch_collection(id: String) -> Result<CollectionView, AppError> {
    let (request, _) = super::ssr::guard(&[CollectionsRead]).await?;
    service::follow(&request.state, &id).await
}

#[server(endpoint = "collections/list", input = leptos::server_fn::codec::Json)]
pub async fn fetch_collections(filter: CollectionFilter) -> Result<CollectionList, AppError> {
    let (request, _) = super::ssr::guard(&[CollectionsRead]).await?;
    service::list(&request.state, &filter).await
}
