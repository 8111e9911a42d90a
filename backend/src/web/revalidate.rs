//! Sessions re-checked with FusionAuth. The session is the app's own record of who is signed in,
//! so without a check a user who is locked, expires, loses access to the application or changes
//! their password would keep every session until it times out. Each session's user is fetched
//! again (`GET /api/user/{userId}`) on its first request after every revalidation interval, and
//! the session ends, with a notice on the login page, when the user no longer stands.
//!
//! FusionAuth unreachable: the session goes on (a blip must not sign everyone out) and the check
//! is tried again on a request [`RETRY`] later, with a warning in the log. Until FusionAuth
//! answers, a locked user keeps the sessions they had.

use super::sign_out::revoke_refresh_token;
use super::{SiteState, WebError};
use crate::fusionauth::model::User;
use crate::session::{AuthSession, SessionUser};
use std::time::Duration;
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

/// Checks `user` with FusionAuth if their session is due; `None` when the check ended it.
pub async fn revalidate(
    state: &SiteState,
    auth: &AuthSession,
    user: SessionUser,
) -> Result<Option<SessionUser>, WebError> {
    let every = state.revalidate_interval;
    if !auth.revalidation_due(&user, every).await? {
        return Ok(Some(user));
    }
    let current = match Uuid::parse_str(&user.user.id) {
        Ok(id) => state.fusionauth.retrieve_user(id).await,
        // Not a FusionAuth id: no user FusionAuth could vouch for.
        Err(_) => Ok(None),
    };
    let current = match current {
        Ok(current) => current,
        Err(error) => {
            tracing::warn!(
                site = state.site.name(),
                user = %user.user.id,
                %error,
                "cannot revalidate the session with FusionAuth; it goes on, retrying later"
            );
            auth.revalidate_at(RETRY.min(every)).await?;
            return Ok(Some(user));
        }
    };
    match standing(
        current.as_ref(),
        &user,
        state.application_id,
        crate::clock::now_ms(),
    ) {
        Ok(()) => {
            auth.revalidate_at(every).await?;
            Ok(Some(user))
        }
        Err(ended) => {
            tracing::info!(
                site = state.site.name(),
                session = %auth.log_id(),
                user = %user.user.id,
                reason = ended.reason(),
                "session ended by revalidation"
            );
            auth.end_with_notice(ended.notice()).await?;
            revoke_refresh_token(state, &user).await;
            Ok(None)
        }
    }
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
