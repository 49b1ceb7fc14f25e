//! The browser's WebAuthn API (`navigator.credentials.create` / `get`)
//! through web-sys: the options the api sent (JSON, binary fields in
//! base64url) become the browser's options, and the credential the browser
//! returns becomes JSON for the api, both converted by `webauthn-rs-proto`.
//! No WebAuthn of our own, and no JavaScript.

use careledger_vocab::ErrorCode;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use webauthn_rs_proto::{
    CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse,
};

use crate::api::ApiError;

/// Whether this browser offers passkeys at all (a secure context with WebAuthn).
pub fn supported() -> bool {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &"PublicKeyCredential".into()).ok())
        .is_some_and(|v| !v.is_undefined())
}

fn refused(what: &str) -> ApiError {
    ApiError::local(ErrorCode::BadUserInput, what)
}

/// What the browser said when the person cancelled, timed out, or had no
/// matching passkey: one plain sentence.
fn browser_refused(e: wasm_bindgen::JsValue) -> ApiError {
    let name = js_sys::Reflect::get(&e, &"name".into())
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    refused(match name.as_str() {
        "NotAllowedError" => "The passkey request was cancelled or timed out.",
        "InvalidStateError" => "This device already holds one of your passkeys.",
        "SecurityError" => "Passkeys work only at this site's configured address.",
        _ => "The browser could not use a passkey.",
    })
}

fn credentials() -> Result<web_sys::CredentialsContainer, ApiError> {
    web_sys::window()
        .map(|w| w.navigator().credentials())
        .ok_or_else(|| refused("This browser does not offer passkeys."))
}

async fn settle(
    promise: Result<js_sys::Promise, wasm_bindgen::JsValue>,
) -> Result<web_sys::PublicKeyCredential, ApiError> {
    let value = JsFuture::from(promise.map_err(browser_refused)?).await.map_err(browser_refused)?;
    value.dyn_into().map_err(|_| refused("The browser returned no passkey."))
}

fn json<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(value).map_err(|_| refused("The passkey could not be read."))
}

/// Asks the browser to make a passkey with the api's creation `options`;
/// returns the new credential as JSON for `confirmPasskeyEnrolment`.
pub async fn create(options: serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let options: CreationChallengeResponse = serde_json::from_value(options)
        .map_err(|_| refused("The server's passkey request could not be read."))?;
    let made = settle(credentials()?.create_with_options(&options.into())).await?;
    json(&RegisterPublicKeyCredential::from(made))
}

/// Asks the browser for an assertion with the api's request `options`;
/// returns it as JSON for `verifyPasskey` or `stepUpWithPasskey`.
pub async fn get(options: serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let options: RequestChallengeResponse = serde_json::from_value(options)
        .map_err(|_| refused("The server's passkey request could not be read."))?;
    let signed = settle(credentials()?.get_with_options(&options.into())).await?;
    json(&PublicKeyCredential::from(signed))
}
