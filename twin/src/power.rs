//! Power cuts: when to cut (after N instructions, before the k-th flash operation, or part-way
//! through it), and the deterministic random source that decides what a torn operation leaves
//! behind.

/// When the power goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PowerCut {
    /// Once this many instructions have executed since power-on.
    AfterInstructions(u64),
    /// Just before the k-th flash operation (1-based: programs, erases and option writes since
    /// power-on) would start; it changes nothing.
    BeforeFlashOperation(u64),
    /// Part-way through the k-th flash operation: `per_mille` of its duration has elapsed.
    /// The operation is torn (see [`crate::flash_controller::FlashController::tear`]).
    DuringFlashOperation {
        /// 1-based operation index.
        index: u64,
        /// How far the operation got, 0–1000.
        per_mille: u32,
    },
}

/// The armed power cut, if any.
#[derive(Clone, Debug, Default)]
pub struct PowerCutPlan {
    /// The cut to perform.
    pub cut: Option<PowerCut>,
    cut_time_ps: Option<u64>,
}

impl PowerCutPlan {
    /// A plan that cuts as `cut` says.
    pub fn new(cut: PowerCut) -> Self {
        Self {
            cut: Some(cut),
            cut_time_ps: None,
        }
    }

    /// Instruction count the run loop must stop at, if the plan names one.
    pub fn instruction_limit(&self) -> Option<u64> {
        match self.cut {
            Some(PowerCut::AfterInstructions(count)) => Some(count),
            _ => None,
        }
    }

    /// Whether the cut is due at this instruction count and time.
    pub fn cut_due(&self, instructions: u64, now_ps: u64) -> bool {
        match self.cut {
            Some(PowerCut::AfterInstructions(count)) => instructions >= count,
            _ => self.cut_time_ps.is_some_and(|time| time <= now_ps),
        }
    }

    /// The time of a scheduled mid-operation cut.
    pub fn next_time_ps(&self) -> Option<u64> {
        self.cut_time_ps
    }

    /// Fraction of the operation done when the scheduled cut happens.
    pub fn fraction(&self) -> f64 {
        match self.cut {
            Some(PowerCut::DuringFlashOperation { per_mille, .. }) => {
                per_mille.min(1000) as f64 / 1000.0
            }
            _ => 0.0,
        }
    }

    /// Flash operation `index` starts at `started_ps` and would end at `completes_ps`.
    /// Returns `true` when the power must be cut right now, before it changes anything.
    pub fn flash_operation_started(
        &mut self,
        index: u64,
        started_ps: u64,
        completes_ps: u64,
    ) -> bool {
        match self.cut {
            Some(PowerCut::BeforeFlashOperation(k)) => k == index,
            Some(PowerCut::DuringFlashOperation {
                index: k,
                per_mille,
            }) if k == index => {
                let duration = completes_ps - started_ps;
                let elapsed = duration * per_mille.min(999) as u64 / 1000;
                self.cut_time_ps = Some(started_ps + elapsed.max(1));
                false
            }
            _ => false,
        }
    }
}
