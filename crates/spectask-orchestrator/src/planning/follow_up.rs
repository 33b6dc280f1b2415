//! A follow-up of a review task: one task (feature or bugfix) made of chosen findings of its
//! report. Its title is the finding's, or says how many; its prompt names each finding's file, line
//! and detail, and the review task it came from (a link the dashboard follows).

use spectask_core::SpecTask;
use spectask_spec::Finding;

/// What a follow-up task is asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FollowUp {
    pub title: String,
    pub prompt: String,
}

/// The report has no finding of that number.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the report has no finding {number} (it has {count})")]
pub struct NoFinding {
    pub number: u32,
    pub count: usize,
}

/// The follow-up of `review` addressing its report's `findings` numbered `chosen` (from 1; each
/// once, in the order first named).
pub fn follow_up(review: &SpecTask, findings: &[Finding], chosen: &[u32]) -> Result<FollowUp, NoFinding> {
    let mut picked: Vec<(u32, &Finding)> = Vec::new();
    for &number in chosen {
        let finding = usize::try_from(number)
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| findings.get(i))
            .ok_or(NoFinding { number, count: findings.len() })?;
        if !picked.iter().any(|(n, _)| *n == number) {
            picked.push((number, finding));
        }
    }
    let title = match picked.as_slice() {
        [(_, only)] => only.title.clone(),
        _ => format!("Follow up {} findings of: {}", picked.len(), review.title),
    };
    Ok(FollowUp { title, prompt: prompt(review, &picked) })
}

/// What a follow-up task is asked: each finding where it is, and where it came from.
fn prompt(review: &SpecTask, findings: &[(u32, &Finding)]) -> String {
    let target = review.review_target.as_deref().unwrap_or_default();
    let mut text = format!(
        "Follow up on the review task [{}](/tasks/{}) of {target}: address {}.\n",
        review.handle(),
        review.id,
        if findings.len() == 1 { "this finding" } else { "these findings" }
    );
    for (number, f) in findings {
        text.push_str(&format!(
            "\n## Finding {number}: {}\n\n`{}:{}` (severity {})\n\n{}\n",
            f.title,
            f.file,
            f.line,
            f.severity.name(),
            f.detail
        ));
    }
    text
}
