//! What the portal's card form needs from the server's configuration:
//! where Stripe.js is loaded from (`DUN_STRIPE_JS_URL`; Stripe's own by
//! default, localstripe's stand-in in tests) and the Content-Security-Policy
//! of that one page, widened from Dun's own only to the origins Stripe.js
//! needs. Pure: no I/O.

use crate::headers::CONTENT_SECURITY_POLICY;

/// Stripe.js v3, as Stripe serves it (it must be loaded from there).
pub const DEFAULT_JS_URL: &str = "https://js.stripe.com/v3/";
/// Stripe's own Stripe.js origin.
const STRIPE_JS_ORIGIN: &str = "https://js.stripe.com";
/// Where Stripe.js opens 3-D Secure challenges (documented by Stripe
/// beside js.stripe.com for `frame-src`); only with Stripe's own Stripe.js.
const STRIPE_HOOKS_ORIGIN: &str = "https://hooks.stripe.com";

/// The origin (`scheme://host[:port]`) of an http(s) URL, or why not.
/// Refuses anything that could break out of a CSP source expression.
pub fn origin(url: &str) -> Result<String, String> {
    let rest = url
        .strip_prefix("https://")
        .map(|r| ("https://", r))
        .or_else(|| url.strip_prefix("http://").map(|r| ("http://", r)));
    let Some((scheme, rest)) = rest else {
        return Err("must start with http:// or https://".into());
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
    if host.is_empty() || !host.chars().all(allowed) {
        return Err("must name a host (letters, digits, '.', '-', a :port)".into());
    }
    if url
        .chars()
        .any(|c| c.is_whitespace() || matches!(c, ';' | ',' | '\'' | '"'))
    {
        return Err("must not hold spaces, quotes, ';' or ','".into());
    }
    Ok(format!("{scheme}{}", host.to_ascii_lowercase()))
}

/// The policy of the payment page: Dun's own, with Stripe.js's origin
/// added to `script-src`, `frame-src` and `connect-src`, and the API's
/// origin to `connect-src` (Stripe.js calls it from the browser). Both
/// URLs are checked by the configuration before the server starts.
pub fn content_security_policy(js_url: &str, api_base: &str) -> String {
    let js = origin(js_url).unwrap_or_else(|_| STRIPE_JS_ORIGIN.to_string());
    let api = origin(api_base).unwrap_or_else(|_| js.clone());
    let mut frames = vec![js.clone()];
    if js == STRIPE_JS_ORIGIN {
        frames.push(STRIPE_HOOKS_ORIGIN.to_string());
    }
    let mut connect = vec![js.clone()];
    if api != js {
        connect.push(api);
    }
    CONTENT_SECURITY_POLICY
        .replace("script-src 'self';", &format!("script-src 'self' {js};"))
        .replace(
            "object-src 'none';",
            &format!(
                "frame-src {}; connect-src 'self' {}; object-src 'none';",
                frames.join(" "),
                connect.join(" ")
            ),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_is_scheme_and_host() {
        assert_eq!(
            origin("https://js.stripe.com/v3/").unwrap(),
            "https://js.stripe.com"
        );
        assert_eq!(
            origin("http://127.0.0.1:8420/js.stripe.com/v3/").unwrap(),
            "http://127.0.0.1:8420"
        );
        assert!(origin("js.stripe.com/v3/").is_err());
        assert!(origin("https:///v3").is_err());
        assert!(origin("https://evil.example; script-src *").is_err());
        assert!(origin("https://a.example/x'y").is_err());
    }

    #[test]
    fn stripe_s_own_policy_names_what_stripe_documents() {
        let csp = content_security_policy(DEFAULT_JS_URL, "https://api.stripe.com");
        assert!(
            csp.contains("script-src 'self' https://js.stripe.com;"),
            "{csp}"
        );
        assert!(
            csp.contains("frame-src https://js.stripe.com https://hooks.stripe.com;"),
            "{csp}"
        );
        assert!(
            csp.contains("connect-src 'self' https://js.stripe.com https://api.stripe.com;"),
            "{csp}"
        );
        // Everything else stays Dun's own: no inline script, no framing.
        assert!(csp.contains("default-src 'self'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe"), "{csp}");
    }

    #[test]
    fn a_local_stand_in_is_the_only_origin_added() {
        let csp = content_security_policy(
            "http://127.0.0.1:8420/js.stripe.com/v3/",
            "http://127.0.0.1:8420",
        );
        assert!(
            csp.contains("script-src 'self' http://127.0.0.1:8420;"),
            "{csp}"
        );
        assert!(csp.contains("frame-src http://127.0.0.1:8420;"), "{csp}");
        assert!(
            csp.contains("connect-src 'self' http://127.0.0.1:8420;"),
            "{csp}"
        );
        assert!(!csp.contains("stripe.com"), "{csp}");
    }
}
