//! Every request passes here first: Host, then Origin, then the bearer token.
//!
//! - **Host** must be the address the server is bound to, `localhost` with its port,
//!   or a name the operator allowed. A DNS-rebinding page reaches a loopback server
//!   under the attacker's own name, so its requests carry that name and are refused.
//! - **Origin**, which browsers send and scripts do not, must be one the operator
//!   allowed; otherwise any web page could drive the API (or open a WebSocket, which
//!   is not subject to CORS) from the user's browser.
//! - **Authorization: Bearer** names a token (a browser's WebSocket, which cannot set
//!   that header, sends `bearer.<token>` as a subprotocol instead); its user (or admin)
//!   is what the request acts as, handed on as a request extension. Allowed origins
//!   get CORS headers, and their preflight requests are answered without a token.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::server::Shared;

/// A request's token (as sent, so an open WebSocket can check it is still valid)
/// and who it acts as.
#[derive(Clone)]
pub struct Authenticated {
    pub token: String,
    pub info: tidepool_engine::TokenInfo,
}

pub async fn check(State(shared): State<Arc<Shared>>, mut request: Request, next: Next) -> Response {
    let headers = request.headers();
    if let Err(e) = check_host(&shared, headers).and_then(|()| check_origin(&shared, headers)) {
        return e.into_response();
    }
    // An allowed origin may call the API from a page: answer the CORS preflight
    // (which carries no token) and mark the responses as readable by it.
    let origin = headers.get(header::ORIGIN).cloned();
    if request.method() == Method::OPTIONS && origin.is_some() {
        return with_cors(StatusCode::NO_CONTENT.into_response(), origin, true);
    }
    let response = match authenticate(&shared, headers) {
        Ok(auth) => {
            request.extensions_mut().insert(auth);
            next.run(request).await
        }
        Err(e) => e.into_response(),
    };
    with_cors(response, origin, false)
}

fn with_cors(mut response: Response, origin: Option<HeaderValue>, preflight: bool) -> Response {
    let Some(origin) = origin else {
        return response;
    };
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    if preflight {
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("authorization, content-type"),
        );
        headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    }
    response
}

fn check_host(shared: &Shared, headers: &HeaderMap) -> Result<(), ApiError> {
    let refused = |why: &str| ApiError::new(StatusCode::FORBIDDEN, "host_not_allowed", why.to_string());
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return Err(refused("the request has no Host header"));
    };
    let (name, port) = split_host(host);
    let port = port.unwrap_or(if shared.config.tls.is_some() { 443 } else { 80 });
    let bound = shared.address;
    let name_lower = name.to_ascii_lowercase();
    let allowed_name = shared
        .config
        .allowed_hosts
        .iter()
        .any(|h| h.eq_ignore_ascii_case(host) || h.eq_ignore_ascii_case(name));
    let ip = name.parse::<IpAddr>().ok();
    let ok = allowed_name
        || (port == bound.port()
            && match ip {
                Some(ip) => ip == bound.ip() || ip.is_loopback() || bound.ip().is_unspecified(),
                None => name_lower == "localhost",
            });
    if ok {
        Ok(())
    } else {
        Err(refused(&format!(
            "Host '{host}' is not this server ({bound}); add it with --allow-host if it should be"
        )))
    }
}

/// `name[:port]`, `[v6]:port` or `v4:port` → (name without brackets, port).
fn split_host(host: &str) -> (&str, Option<u16>) {
    if let Some(rest) = host.strip_prefix('[') {
        let Some((name, after)) = rest.split_once(']') else {
            return (host, None);
        };
        return (name, after.strip_prefix(':').and_then(|p| p.parse().ok()));
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') => (name, port.parse().ok()),
        _ => (host, None),
    }
}

fn check_origin(shared: &Shared, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or("");
    if shared
        .config
        .allowed_origins
        .iter()
        .any(|allowed| allowed.trim_end_matches('/').eq_ignore_ascii_case(origin))
    {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
            format!(
                "requests from the web origin '{origin}' are not allowed; add it with --allow-origin if they should be"
            ),
        ))
    }
}

/// The token from `Authorization: Bearer`, or — for a browser's WebSocket, which
/// cannot set that header — from a `bearer.<token>` entry of `Sec-WebSocket-Protocol`.
fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<Authenticated, ApiError> {
    let unauthorized = |message: &str| ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message.to_string());
    let token = match headers.get(header::AUTHORIZATION) {
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(|| unauthorized("the Authorization header must be 'Bearer <token>'"))?,
        None => headers
            .get_all(header::SEC_WEBSOCKET_PROTOCOL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .find_map(|p| p.trim().strip_prefix("bearer."))
            .ok_or_else(|| unauthorized("missing token: send 'Authorization: Bearer <token>'"))?,
    };
    let info = shared
        .engine
        .authenticate(token)
        .ok_or_else(|| unauthorized("invalid or revoked token"))?;
    Ok(Authenticated {
        token: token.to_string(),
        info,
    })
}

/// Who a request acts as: the token's user, or — for an admin token — the user the
/// request names (admin when it names none).
pub fn acting_as(
    token: &tidepool_engine::TokenInfo,
    requested: Option<&str>,
) -> Result<tidepool_engine::Actor, ApiError> {
    use tidepool_engine::Actor;
    match (token.actor(), requested) {
        (actor, None) => Ok(actor),
        (_, Some("")) => Err(ApiError::bad_request(
            "\"user\" cannot be empty; leave it out to act as the token's user",
        )),
        (Actor::Admin, Some(user)) => Ok(Actor::User(user.to_string())),
        (Actor::User(own), Some(user)) if own == user => Ok(Actor::User(own)),
        (Actor::User(own), Some(user)) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not_allowed",
            format!("this token acts as '{own}' and cannot act as '{user}'"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::split_host;

    #[test]
    fn host_headers_split_into_name_and_port() {
        assert_eq!(split_host("127.0.0.1:7447"), ("127.0.0.1", Some(7447)));
        assert_eq!(split_host("localhost"), ("localhost", None));
        assert_eq!(split_host("[::1]:80"), ("::1", Some(80)));
        assert_eq!(split_host("[::1]"), ("::1", None));
        assert_eq!(split_host("evil.example:7447"), ("evil.example", Some(7447)));
    }
}
