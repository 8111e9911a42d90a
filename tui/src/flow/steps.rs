//! The scenario's steps as docs/flow.md numbers them, and which of them a run takes.

use super::report::{Actor, ExchangeRecord, Focus, Section, StepReport, Verdict};
use shared::site::Site;
use std::collections::BTreeSet;

/// A step of docs/flow.md: what the article says, and what a run needs before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// docs/flow.md's number (19–20: the logout the article leaves to us).
    pub number: u8,
    /// Its section.
    pub section: Section,
    /// Who acts.
    pub actor: Actor,
    /// Which app.
    pub site: Site,
    /// What a diagram shows for it.
    pub focus: Focus,
    /// What the article says happens.
    pub title: &'static str,
    /// Steps that must run first for this one to be possible.
    pub needs: &'static [u8],
}

const fn step(
    number: u8,
    section: Section,
    (actor, site): (Actor, Site),
    focus: Focus,
    title: &'static str,
    needs: &'static [u8],
) -> Step {
    Step {
        number,
        section,
        actor,
        site,
        focus,
        title,
        needs,
    }
}

const STORE: (Actor, Site) = (Actor::Browser, Site::Store);
const FORUMS: (Actor, Site) = (Actor::Browser, Site::Forums);
const HACKER: (Actor, Site) = (Actor::Hacker, Site::Store);

/// Every step, in order.
pub const STEPS: &[Step] = {
    use Focus::*;
    use Section::*;
    &[
        step(
            1,
            Login,
            STORE,
            Exchanges,
            "GET / on Store: 200, a link to the login page",
            &[],
        ),
        step(
            2,
            Login,
            STORE,
            Exchanges,
            "GET /login on Store: 200, the login form",
            &[],
        ),
        step(
            3,
            Login,
            STORE,
            Request,
            "POST /login, form-encoded, to Store",
            &[2],
        ),
        step(
            4,
            Login,
            STORE,
            FusionAuthCall,
            "Store calls FusionAuth POST /api/login",
            &[3],
        ),
        step(
            5,
            Login,
            STORE,
            FusionAuthAnswer,
            "FusionAuth answers 200 (User, JWT, refresh token)",
            &[3],
        ),
        step(
            6,
            Login,
            STORE,
            Server,
            "Store creates a server-side session holding the User",
            &[3],
        ),
        step(
            7,
            Login,
            STORE,
            Response,
            "303 to /shopping-cart, a new HttpOnly, host-only, Path=/ session cookie",
            &[3],
        ),
        step(
            8,
            SessionLoad,
            STORE,
            Request,
            "GET /shopping-cart with the cookie: the session is found and extended",
            &[3],
        ),
        step(
            9,
            SessionLoad,
            STORE,
            Response,
            "the User from the session (no FusionAuth call), the cart from the database",
            &[3],
        ),
        step(
            10,
            Relogin,
            STORE,
            Request,
            "the session expired server-side; the browser still sends the cookie",
            &[3],
        ),
        step(
            11,
            Relogin,
            STORE,
            Response,
            "Store redirects to the login page",
            &[10],
        ),
        step(
            12,
            Relogin,
            STORE,
            Exchanges,
            "the user logs in again, as in steps 2–7",
            &[11],
        ),
        step(
            13,
            Forums,
            FORUMS,
            Exchanges,
            "GET / on Forums: 200, a login link; Store's cookie is not sent",
            &[],
        ),
        step(
            14,
            Forums,
            FORUMS,
            Request,
            "GET /login, POST /login on Forums, which calls FusionAuth itself",
            &[],
        ),
        step(
            15,
            Forums,
            FORUMS,
            FusionAuthAnswer,
            "FusionAuth answers 200; Forums creates its own session",
            &[14],
        ),
        step(
            16,
            Forums,
            FORUMS,
            Response,
            "303 to /posts, Forums' own HttpOnly cookie for Forums' host",
            &[14],
        ),
        step(
            17,
            Forums,
            FORUMS,
            Exchanges,
            "GET /posts with Forums' cookie: the session extended, the posts shown",
            &[14],
        ),
        step(
            18,
            StolenSessionId,
            HACKER,
            Exchanges,
            "a hacker replays Store's stolen session id: Store returns the cart",
            &[3],
        ),
        step(
            19,
            StolenSessionId,
            STORE,
            Exchanges,
            "the user logs out: Store deletes the session and clears the cookie",
            &[3],
        ),
        step(
            20,
            StolenSessionId,
            HACKER,
            Exchanges,
            "the hacker replays the stolen id again: refused, sent to log in",
            &[18, 19],
        ),
        step(
            21,
            Defences,
            STORE,
            Exchanges,
            "fixation: a session id planted before the login is dead after it",
            &[],
        ),
        step(
            22,
            Defences,
            STORE,
            Exchanges,
            "CSRF: a cart form posted without its token is refused (403)",
            &[21],
        ),
        step(
            23,
            Defences,
            STORE,
            Exchanges,
            "CSRF: the form posted from the Forums' origin is refused (403), though same-site",
            &[21],
        ),
        step(
            24,
            Defences,
            HACKER,
            Exchanges,
            "theft detected: a stolen id replayed after rotation ends the whole session",
            &[],
        ),
    ]
};

impl Step {
    /// Its report: what was seen and the verdict. `prerequisite` when it ran only because a
    /// selected step needs it.
    pub fn report(
        &self,
        prerequisite: bool,
        exchanges: Vec<ExchangeRecord>,
        observed: Vec<String>,
        verdict: Verdict,
    ) -> StepReport {
        StepReport {
            number: self.number,
            section: self.section,
            title: self.title.to_owned(),
            actor: self.actor,
            site: self.site,
            focus: self.focus,
            prerequisite,
            exchanges,
            observed,
            verdict,
        }
    }
}

/// The step numbered `number`.
pub fn step_numbered(number: u8) -> Option<&'static Step> {
    STEPS.iter().find(|step| step.number == number)
}

/// Which apps' steps to run (`--site`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum SiteFilter {
    /// Steps 1–12 and 18–24.
    Store,
    /// Steps 13–17.
    Forums,
    /// Everything.
    #[default]
    Both,
}

impl SiteFilter {
    fn admits(self, step: &Step) -> bool {
        match self {
            Self::Both => true,
            Self::Store => step.section != Section::Forums,
            Self::Forums => step.section == Section::Forums,
        }
    }
}

/// Parses `--steps`: numbers and ranges, e.g. `1-7,13,18-20`.
pub fn parse_steps(text: &str) -> Result<BTreeSet<u8>, String> {
    let last = STEPS.last().map_or(0, |step| step.number);
    let number = |part: &str| -> Result<u8, String> {
        let n: u8 = part
            .trim()
            .parse()
            .map_err(|_| format!("{part:?} is not a step number"))?;
        if step_numbered(n).is_none() {
            return Err(format!("there is no step {n}: steps are 1–{last}"));
        }
        Ok(n)
    };
    let mut steps = BTreeSet::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((from, to)) => {
                let (from, to) = (number(from)?, number(to)?);
                if from > to {
                    return Err(format!("{part:?} runs backwards"));
                }
                steps.extend(from..=to);
            }
            None => {
                steps.insert(number(part)?);
            }
        }
    }
    if steps.is_empty() {
        return Err("no steps given: e.g. --steps 1-9 or --steps 13,18".to_owned());
    }
    Ok(steps)
}

/// The steps a run takes: each asked-for step (`true`), and what they need (`false`).
pub fn plan(site: SiteFilter, only: Option<&BTreeSet<u8>>) -> Vec<(&'static Step, bool)> {
    let asked: BTreeSet<u8> = STEPS
        .iter()
        .filter(|step| site.admits(step))
        .filter(|step| only.is_none_or(|only| only.contains(&step.number)))
        .map(|step| step.number)
        .collect();
    let mut taken = asked.clone();
    // Needs always point backwards, so one pass from the end closes the set.
    for step in STEPS.iter().rev() {
        if taken.contains(&step.number) {
            taken.extend(step.needs);
        }
    }
    STEPS
        .iter()
        .filter(|step| taken.contains(&step.number))
        .map(|step| (step, asked.contains(&step.number)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(plan: &[(&Step, bool)]) -> Vec<(u8, bool)> {
        plan.iter().map(|(s, asked)| (s.number, *asked)).collect()
    }

    #[test]
    fn steps_are_numbered_in_order_and_need_only_earlier_steps() {
        for (i, step) in STEPS.iter().enumerate() {
            assert_eq!(usize::from(step.number), i + 1);
            assert!(step.needs.iter().all(|&n| n < step.number), "{step:?}");
        }
    }

    #[test]
    fn ranges_lists_and_bad_input() {
        assert_eq!(
            parse_steps("1-3, 13,18-20")
                .unwrap()
                .into_iter()
                .collect::<Vec<_>>(),
            vec![1, 2, 3, 13, 18, 19, 20]
        );
        assert!(parse_steps("0").unwrap_err().contains("no step 0"));
        assert!(parse_steps("25").unwrap_err().contains("steps are 1–24"));
        assert!(parse_steps("5-2").unwrap_err().contains("backwards"));
        assert!(parse_steps("x").unwrap_err().contains("not a step number"));
        assert!(parse_steps(" , ").unwrap_err().contains("no steps"));
    }

    #[test]
    fn a_subset_brings_what_it_needs_as_prerequisites() {
        let only = parse_steps("20").unwrap();
        assert_eq!(
            numbers(&plan(SiteFilter::Both, Some(&only))),
            vec![(2, false), (3, false), (18, false), (19, false), (20, true)]
        );
        let forums = plan(SiteFilter::Forums, None);
        assert_eq!(
            numbers(&forums),
            (13..=17).map(|n| (n, true)).collect::<Vec<_>>()
        );
        assert_eq!(plan(SiteFilter::Both, None).len(), STEPS.len());
        assert!(plan(SiteFilter::Forums, Some(&parse_steps("1-5").unwrap())).is_empty());
    }
}
