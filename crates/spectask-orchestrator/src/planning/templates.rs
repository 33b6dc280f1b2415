//! The workflow template a task follows: a built-in one, or its repository's own, read from
//! `.spectask/templates/<name>.toml` at the tip of the default branch.

use spectask_git::Repo;
use spectask_spec::workflow::{TEMPLATES_DIR, is_workflow_name, template_name_of};
use spectask_spec::{Template, TemplateError, Workflow};

use crate::job_error::JobError;
use crate::repos;

/// Why a task cannot follow the workflow it names.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error(
        "no workflow named `{name}`: the built-in ones are feature, design-first and bugfix; a \
         repository adds its own as {TEMPLATES_DIR}/<name>.toml on its default branch{known}"
    )]
    Unknown { name: String, known: String },
    #[error(transparent)]
    Invalid(#[from] TemplateError),
    #[error(transparent)]
    Job(#[from] JobError),
}

/// The template named `name` for tasks of `repo`: a repository template is read now, so its
/// faults are named as they are today.
pub async fn resolve_workflow(repo: &Repo, name: &str) -> Result<Template, WorkflowError> {
    if let Some(workflow) = Workflow::from_name(name) {
        return Ok(Template::builtin(workflow));
    }
    let unknown = |known: &[Template]| WorkflowError::Unknown {
        name: name.to_owned(),
        known: if known.is_empty() {
            String::new()
        } else {
            format!(
                " (this one has {})",
                known.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ")
            )
        },
    };
    if !is_workflow_name(name) {
        return Err(unknown(&[]));
    }
    let path = format!("{TEMPLATES_DIR}/{name}.toml");
    let file = {
        let (repo, path) = (repo.clone(), path.clone());
        repos::blocking(move || repo.default_branch_files(&[], &[path.as_str()])).await?
    };
    match file.into_iter().next() {
        Some((path, bytes)) => Ok(Template::parse(&path, &String::from_utf8_lossy(&bytes))?),
        None => {
            let (known, _) = repository_templates(repo).await?;
            Err(unknown(&known))
        }
    }
}

/// `template` with the rules `repo`'s steering documents state for the lint, read at the tip of
/// its default branch.
pub async fn with_steering(repo: &Repo, template: Template) -> Result<Template, JobError> {
    Ok(Template { steering: repos::steering_rules(repo).await?, ..template })
}

/// Every workflow a task of `repo` may follow: the built-in ones, then the repository's valid
/// templates; and the repository's templates that are not valid, with why.
pub async fn available_workflows(repo: &Repo) -> Result<(Vec<Template>, Vec<TemplateError>), JobError> {
    let (templates, faults) = repository_templates(repo).await?;
    let mut all: Vec<Template> = Workflow::ALL.into_iter().map(Template::builtin).collect();
    all.extend(templates);
    Ok((all, faults))
}

async fn repository_templates(repo: &Repo) -> Result<(Vec<Template>, Vec<TemplateError>), JobError> {
    let repo = repo.clone();
    let files = repos::blocking(move || repo.default_branch_files(&[TEMPLATES_DIR], &[])).await?;
    let mut templates = Vec::new();
    let mut faults = Vec::new();
    for (path, bytes) in files.into_iter().filter(|(path, _)| template_name_of(path).is_some()) {
        match Template::parse(&path, &String::from_utf8_lossy(&bytes)) {
            Ok(template) => templates.push(template),
            Err(fault) => faults.push(fault),
        }
    }
    Ok((templates, faults))
}
