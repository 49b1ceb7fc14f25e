//! The stable codes a GraphQL error carries in `extensions.code`.

use std::fmt;
use std::str::FromStr;

/// Why a request was refused or failed: the `extensions.code` of a GraphQL
/// error. Clients decide on the code, never on the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// No valid session: signed out, token expired or revoked, wrong password.
    Unauthenticated,
    /// The access contract refused (the refusal is recorded on chain).
    Forbidden,
    NotFound,
    /// A unique name is taken, or someone saved a newer version first
    /// (`extensions.currentVersion`).
    Conflict,
    /// A field failed to parse (`extensions.field` names it).
    BadUserInput,
    /// Too many failed sign-ins (`extensions.retryAfterSeconds`).
    TooManyAttempts,
    /// A second factor is needed first: proved in the last 5 minutes
    /// (`stepUp`), or enrolled at all.
    FactorRequired,
    /// Too many anonymous introspection requests (`extensions.retryAfterSeconds`).
    RateLimited,
    /// Answered at the door, at capacity: nothing was done (HTTP 503, `Retry-After`).
    Overloaded,
    /// A dependency (the chain) could not record the request: nothing was done.
    Unavailable,
    /// The document did not parse or validate.
    BadRequest,
    /// Anything else; the cause is in the server's log, not in the answer.
    Internal,
    /// Never sent by the api: a client's own code for a server it cannot reach.
    Unreachable,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 13] = [
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::BadUserInput,
        ErrorCode::TooManyAttempts,
        ErrorCode::FactorRequired,
        ErrorCode::RateLimited,
        ErrorCode::Overloaded,
        ErrorCode::Unavailable,
        ErrorCode::BadRequest,
        ErrorCode::Internal,
        ErrorCode::Unreachable,
    ];

    /// The code as sent: `BAD_USER_INPUT`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::TooManyAttempts => "TOO_MANY_ATTEMPTS",
            ErrorCode::FactorRequired => "FACTOR_REQUIRED",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::Overloaded => "OVERLOADED",
            ErrorCode::Unavailable => "UNAVAILABLE",
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::Internal => "INTERNAL",
            ErrorCode::Unreachable => "UNREACHABLE",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A code that is none of the known ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownErrorCode;

impl fmt::Display for UnknownErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown error code")
    }
}

impl std::error::Error for UnknownErrorCode {}

impl FromStr for ErrorCode {
    type Err = UnknownErrorCode;

    /// Only the exact code: `CONFLICT`, not `conflict`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == s).ok_or(UnknownErrorCode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_exactly() {
        for code in ErrorCode::ALL {
            assert_eq!(code.as_str().parse::<ErrorCode>(), Ok(code));
            assert_eq!(code.to_string(), code.as_str());
        }
        assert_eq!("conflict".parse::<ErrorCode>(), Err(UnknownErrorCode));
        assert_eq!("".parse::<ErrorCode>(), Err(UnknownErrorCode));
    }
}
