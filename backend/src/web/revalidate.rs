//! Sessions re-checked with FusionAuth. The session is the app's own record of who is signed in,
//! so without a check a user who is locked, expires, loses access to the application or changes
//! their password would keep every session until it times out. Each session's user is fetched
//! again (`GET /api/user/{userId}`) after every revalidation interval, and the session ends, with
//! a notice on the login page, when the user no longer stands.
//!
//! # In the background
//!
//! The check never holds up a page. The first request that finds its session due is served from
//! the session at once and starts the check as a task of its own, bounded by
//! `--recheck-timeout` (2 s; shorter than `--fusionauth-timeout`). A FusionAuth that accepts
//! connections but never answers therefore costs a signed-in page nothing. The check's verdict
//! is written to the session storage, by the session's key, and applies from the next request:
//!
//! - the user stands: the next check is an interval later;
//! - the user no longer stands: the session ends as a logout would (every id of it: a retired id
//!   ends its successor too), its tombstones holding the notice, so the browser's next request
//!   lands on the login page that says why; the refresh token is revoked;
//! - FusionAuth unreachable, failing or too slow: the session goes on (a blip must not sign
//!   everyone out), a warning is logged and the check is tried again [`RETRY`] later. Until
//!   FusionAuth answers, a locked user keeps the sessions they had. This is the revalidation
//!   policy: it fails open on FusionAuth. What fails closed is the session storage: a request
//!   whose session cannot be read or marked gets the 503 page as any other.
//!
//! So a user who no longer stands is served one more round of requests: those that arrive while
//! the check is under way, at most the recheck timeout.
//!
//! # One check per session
//!
//! A session has at most one check in flight in this process ([`InFlight`], keyed by the session
//! key, never the id): concurrent requests of a due session start one call to FusionAuth. The
//! request that starts it also moves the session's next-check time [`RETRY`] ahead, so other
//! replicas sharing the session storage do not check it too, and a check lost with its process
//! (a crash) is tried again then.
//!
//! # Writing from outside the request
//!
//! The request's own session is saved with its response, possibly before or after the check
//! reports. The check writes through the site's [`crate::session::HashedSessions`]: under the
//! session's write lock, only over a live record, so a session that ended meanwhile (logout,
//! sign-out elsewhere, theft) is never brought back. A session rotated meanwhile gets the result
//! on its successor (the retired id leads to it). If the response saves after the check, its copy
//! of the next-check time (the request's [`RETRY`] mark) wins: the session is checked again
//! sooner than it had to be, never later.
//!
//! [`InFlight`]: super::in_flight::InFlight

use super::in_flight::Claim;
use super::sign_out::revoke_refresh_token;
use super::{SiteState, WebError};
use crate::fusionauth::model::User;
use crate::session::{AuthSession, SessionKey, SessionUser};
use std::time::Duration;
use tower_sessions::session_store;
use uuid::Uuid;

/// After a check that could not reach FusionAuth, how long until the next try (at most the
/// interval itself).
pub const RETRY: Duration = Duration::from_secs(30);

/// Why a check ended a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// FusionAuth has no such user any more.
    Deleted,
    /// The account was locked (deactivated).
    Locked,
    /// The account's expiry has passed.
    Expired,
    /// The user is no longer registered for this site's application.
    Deregistered,
    /// The password changed after this session's login.
    PasswordChanged,
}

impl Ended {
    /// For the log.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Deleted => "user deleted",
            Self::Locked => "account locked",
            Self::Expired => "account expired",
            Self::Deregistered => "no longer registered for the application",
            Self::PasswordChanged => "password changed since login",
        }
    }

    /// For the login page the browser lands on.
    pub fn notice(self) -> &'static str {
        match self {
            Self::Deleted => "You were signed out: your account no longer exists.",
            Self::Locked => "You were signed out: your account has been locked.",
            Self::Expired => "You were signed out: your account has expired.",
            Self::Deregistered => {
                "You were signed out: your account no longer has access to this site."
            }
            Self::PasswordChanged => {
                "You were signed out because your password was changed. Log in with the new one."
            }
        }
    }
}

/// Whether the user FusionAuth now has (`None`: no such user) may keep `session`, a session of
/// the application `application_id`, at `now_ms`.
pub fn standing(
    user: Option<&User>,
    session: &SessionUser,
    application_id: Uuid,
    now_ms: i64,
) -> Result<(), Ended> {
    let Some(user) = user else {
        return Err(Ended::Deleted);
    };
    if !user.active {
        return Err(Ended::Locked);
    }
    if user.expiry.is_some_and(|expiry| expiry <= now_ms) {
        return Err(Ended::Expired);
    }
    if user.registration(application_id).is_none() {
        return Err(Ended::Deregistered);
    }
    // Compared with the value FusionAuth gave at login, not with the login time: the two
    // clocks need not agree.
    if user.password_last_update_instant != session.credentials_changed_at_ms {
        return Err(Ended::PasswordChanged);
    }
    Ok(())
}

/// Starts a check of `user` with FusionAuth in the background when their session is due and no
/// check of it is under way in this process. The request goes on with the session as it is: the
/// check's result applies from the next request on (see the module doc).
pub async fn revalidate(
    state: &SiteState,
    auth: &AuthSession,
    user: &SessionUser,
) -> Result<(), WebError> {
    let every = state.revalidate_interval;
    if !auth.revalidation_due(user, every).await? {
        return Ok(());
    }
    let Some(key) = auth.key().await? else {
        return Ok(());
    };
    let Some(claim) = state.rechecks.claim(key) else {
        return Ok(());
    };
    // Until the check reports, the session is not due again: requests answered from other
    // replicas leave it alone, and a check lost with its process is tried again after RETRY.
    auth.revalidate_at(retry_after(every)).await?;
    tokio::spawn(recheck(state.clone(), key, user.clone(), claim));
    Ok(())
}

/// When a check that could not be done is tried again.
fn retry_after(every: Duration) -> Duration {
    RETRY.min(every)
}

/// The background check of the session `key`, a session of `user`; `_claim` keeps other checks
/// of it from starting until this one has recorded its result (or failed, or panicked).
async fn recheck(state: SiteState, key: SessionKey, user: SessionUser, _claim: Claim<SessionKey>) {
    let found = fetch(&state, &user).await;
    if let Err(error) = record(&state, key, &user, found).await {
        tracing::warn!(
            site = state.site.name(),
            session = %key.log_id(),
            %error,
            "cannot record the revalidation in the session storage; it is tried again later"
        );
    }
}

/// The user as FusionAuth has them now (`None`: no such user), within the recheck timeout; the
/// error says why FusionAuth could not tell.
async fn fetch(state: &SiteState, user: &SessionUser) -> Result<Option<User>, String> {
    // Not a FusionAuth id: no user FusionAuth could vouch for.
    let Ok(id) = Uuid::parse_str(&user.user.id) else {
        return Ok(None);
    };
    let limit = state.recheck_timeout;
    match tokio::time::timeout(limit, state.fusionauth.retrieve_user(id)).await {
        Ok(answer) => answer.map_err(|error| error.to_string()),
        Err(_) => Err(format!("FusionAuth did not answer within {limit:?}")),
    }
}

/// Writes what the check `found` into the session storage: the next check's time, or the end of
/// the session (with its notice, and the refresh token revoked).
async fn record(
    state: &SiteState,
    key: SessionKey,
    user: &SessionUser,
    found: Result<Option<User>, String>,
) -> Result<(), session_store::Error> {
    let site = state.site.name();
    let every = state.revalidate_interval;
    let current = match found {
        Ok(current) => current,
        Err(error) => {
            tracing::warn!(
                site,
                user = %user.user.id,
                %error,
                "cannot revalidate the session with FusionAuth; it goes on, retrying later"
            );
            state
                .sessions
                .revalidate_at(key, retry_after(every))
                .await?;
            return Ok(());
        }
    };
    let now = crate::clock::now_ms();
    match standing(current.as_ref(), user, state.application_id, now) {
        Ok(()) => {
            let live = state.sessions.revalidate_at(key, every).await?;
            tracing::debug!(site, session = %key.log_id(), user = %user.user.id, live, "session revalidated: the user is in good standing");
        }
        Err(ended) => {
            if state
                .sessions
                .end_with_notice(key, ended.notice())
                .await?
                .is_some()
            {
                tracing::info!(
                    site,
                    session = %key.log_id(),
                    user = %user.user.id,
                    reason = ended.reason(),
                    "session ended by revalidation"
                );
                revoke_refresh_token(state, user).await;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fusionauth::model::Registration;
    use shared::model::UserView;

    const APP: Uuid = Uuid::from_u128(1);
    const NOW: i64 = 1_000_000;

    fn session(credentials_changed_at_ms: Option<i64>) -> SessionUser {
        SessionUser {
            user: UserView {
                id: Uuid::from_u128(7).to_string(),
                email: None,
                name: "Alice".into(),
                roles: vec![],
            },
            login_at_ms: NOW - 10,
            last_seen_ms: NOW - 10,
            refresh_token: None,
            credentials_changed_at_ms,
        }
    }

    fn user() -> User {
        User {
            id: Uuid::from_u128(7),
            active: true,
            password_last_update_instant: Some(5),
            registrations: vec![Registration {
                application_id: APP,
                ..Registration::default()
            }],
            ..User::default()
        }
    }

    #[test]
    fn a_user_in_good_standing_keeps_the_session() {
        assert_eq!(standing(Some(&user()), &session(Some(5)), APP, NOW), Ok(()));
        let expires_later = User {
            expiry: Some(NOW + 1),
            ..user()
        };
        assert_eq!(
            standing(Some(&expires_later), &session(Some(5)), APP, NOW),
            Ok(())
        );
    }

    #[test]
    fn each_change_ends_the_session_with_its_reason() {
        let s = session(Some(5));
        assert_eq!(standing(None, &s, APP, NOW), Err(Ended::Deleted));
        let locked = User {
            active: false,
            ..user()
        };
        assert_eq!(standing(Some(&locked), &s, APP, NOW), Err(Ended::Locked));
        let expired = User {
            expiry: Some(NOW),
            ..user()
        };
        assert_eq!(standing(Some(&expired), &s, APP, NOW), Err(Ended::Expired));
        assert_eq!(
            standing(Some(&user()), &s, Uuid::from_u128(2), NOW),
            Err(Ended::Deregistered)
        );
        let changed = User {
            password_last_update_instant: Some(6),
            ..user()
        };
        assert_eq!(
            standing(Some(&changed), &s, APP, NOW),
            Err(Ended::PasswordChanged)
        );
    }

    #[test]
    fn a_session_from_before_the_password_was_recorded_counts_as_changed() {
        // Sessions stored before `credentials_changed_at_ms` existed carry `None`.
        assert_eq!(
            standing(Some(&user()), &session(None), APP, NOW),
            Err(Ended::PasswordChanged)
        );
    }
}
