//! The Flow tab's state: the article's scenario (the same runner as `tui flow`) run from a key
//! with its own browsers, its steps' verdicts as they come in, and which one is selected.

use crate::flow::StepReport;
use std::time::Duration;

/// Where a run is.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Progress {
    /// Not run yet.
    #[default]
    Idle,
    /// Steps are running.
    Running,
    /// Waiting for a session to age or expire.
    Waiting {
        /// What for (the runner's words).
        why: String,
        /// Time left.
        remaining: Duration,
    },
    /// Finished: the runner's totals.
    Done {
        /// Steps that passed.
        passed: usize,
        /// Steps that failed.
        failed: usize,
        /// Steps that were skipped.
        skipped: usize,
    },
    /// The run could not start (a site does not answer) or stopped.
    Failed(String),
}

/// What the runtime reports about a run started by [`Effect::RunFlow`](crate::app::Effect::RunFlow).
#[derive(Clone, Debug, PartialEq)]
pub enum FlowMsg {
    /// A step is done.
    Step(StepReport),
    /// Waiting for a session to age or expire (a few times a second).
    Waiting {
        /// What for.
        why: String,
        /// Time left.
        remaining: Duration,
        /// The whole wait.
        total: Duration,
    },
    /// The run is over (`Report::counts`).
    Done {
        /// Steps that passed.
        passed: usize,
        /// Steps that failed.
        failed: usize,
        /// Steps that were skipped.
        skipped: usize,
        /// Wall-clock time of the whole run.
        elapsed: Duration,
    },
    /// The run could not start or stopped.
    Failed(String),
}

/// The Flow tab's state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FlowView {
    /// Where the run is.
    pub progress: Progress,
    /// The steps reported by the latest run, in order.
    pub steps: Vec<StepReport>,
    /// The selected step.
    pub selected: usize,
}

impl FlowView {
    /// True while a run is going: another one must wait for it.
    pub fn is_running(&self) -> bool {
        matches!(self.progress, Progress::Running | Progress::Waiting { .. })
    }

    /// The selected step.
    pub fn selected(&self) -> Option<&StepReport> {
        self.steps.get(self.selected)
    }

    /// Moves the selection by `delta`, clamped.
    pub fn step(&mut self, delta: isize) {
        let last = self.steps.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    /// Adds a finished step. The selection follows new steps while it is on the newest one, as
    /// the network log does, and otherwise stays where the user put it.
    pub(crate) fn push(&mut self, step: StepReport) {
        let following = self.selected + 1 >= self.steps.len();
        self.steps.push(step);
        if following {
            self.selected = self.steps.len() - 1;
        }
    }
}
