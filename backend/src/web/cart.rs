//! The Store's `/shopping-cart`: the user comes from the session (no call to FusionAuth), the
//! cart from the site's database. HTML, or JSON for `Accept: application/json`.

use super::guard::{SignedIn, UserForm, WantsJson, csrf_form};
use super::pages::{CartPage, CartRow, Layout, render};
use super::{SiteState, WebError, see_other};
use crate::data::CartError;
use crate::session::{AuthSession, SessionUser};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shared::model::{Cart, format_cents};
use shared::paths::store;

/// The cart page.
pub async fn show(
    State(state): State<SiteState>,
    auth: AuthSession,
    SignedIn(user): SignedIn,
    WantsJson(json): WantsJson,
) -> Result<Response, WebError> {
    if json {
        let items = state.data.carts.items(&user.user.id).await?;
        let total_cents = items.iter().map(|i| i.line_total_cents).sum();
        let cart = Cart {
            user: user.user,
            items,
            total_cents,
        };
        return Ok(Json(cart).into_response());
    }
    cart_page(&state, &auth, &user, StatusCode::OK, None).await
}

/// The cart page for `user`, with `error` above it when an add was refused.
async fn cart_page(
    state: &SiteState,
    auth: &AuthSession,
    user: &SessionUser,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, WebError> {
    let items = state.data.carts.items(&user.user.id).await?;
    let total_cents = items.iter().map(|i| i.line_total_cents).sum();
    let csrf = auth.csrf_token().await?;
    let page = CartPage {
        layout: Layout::new(state.site, "Shopping cart").logged_in(&user.user.name, csrf.clone()),
        csrf,
        rows: items.iter().map(CartRow::from).collect(),
        total: format_cents(total_cents),
        products: state.data.carts.products().to_vec(),
        error,
    };
    render(status, &page)
}

/// The add-item form.
#[derive(Debug, Deserialize)]
pub struct AddForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    sku: String,
    #[serde(default)]
    quantity: String,
}

csrf_form!(AddForm, page = store::CART);

/// Adds an item, then back to the cart.
pub async fn add(
    State(state): State<SiteState>,
    auth: AuthSession,
    UserForm(user, form): UserForm<AddForm>,
) -> Result<Response, WebError> {
    let quantity = form.quantity.trim().parse::<u32>().map_err(|_| {
        WebError::BadRequest("The quantity must be a whole number from 1 to 99.".into())
    })?;
    match state
        .data
        .carts
        .add(&user.user.id, form.sku.trim(), quantity)
        .await
    {
        Ok(()) => Ok(back_to_cart()),
        Err(CartError::Database(error)) => Err(error.into()),
        // Nothing was added: say so on the cart itself, not with a redirect that looks like
        // success.
        Err(full @ CartError::Full(_)) => {
            let reason = format!("{} Nothing was added.", capitalize(&full.to_string()));
            cart_page(&state, &auth, &user, StatusCode::CONFLICT, Some(reason)).await
        }
        Err(error) => Err(WebError::BadRequest(capitalize(&error.to_string()))),
    }
}

/// The remove-item form.
#[derive(Debug, Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    sku: String,
}

csrf_form!(RemoveForm, page = store::CART);

/// Removes an item, then back to the cart.
pub async fn remove(
    State(state): State<SiteState>,
    UserForm(user, form): UserForm<RemoveForm>,
) -> Result<Response, WebError> {
    match state
        .data
        .carts
        .remove(&user.user.id, form.sku.trim())
        .await
    {
        Ok(_) => Ok(back_to_cart()),
        Err(CartError::Database(error)) => Err(error.into()),
        Err(error) => Err(WebError::BadRequest(capitalize(&error.to_string()))),
    }
}

fn back_to_cart() -> Response {
    see_other(store::CART)
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>() + ".",
        None => String::new(),
    }
}
