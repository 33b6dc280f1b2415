//! What an agent said about itself in `initialize`, read from the raw JSON so that fields the typed
//! schema drops (codex's `type: "env_var"` auth methods and their `vars`) stay visible.

use serde::Serialize;
use serde_json::Value;

use crate::profiles::CredentialHint;

/// One advertised authentication method.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuthMethodInfo {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// `None` (agent-driven), `agent`, `terminal`, `env_var` or whatever the agent sent.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The variables of an `env_var` method.
    pub vars: Vec<String>,
}

/// The agent's `initialize` result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AgentInfo {
    pub name: Option<String>,
    pub title: Option<String>,
    pub version: Option<String>,
    pub protocol_version: Option<u64>,
    /// `agentCapabilities` as sent.
    pub capabilities: Value,
    pub auth_methods: Vec<AuthMethodInfo>,
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_owned)
}

impl AgentInfo {
    /// Reads the raw `initialize` result.
    pub fn from_raw(raw: &Value) -> Self {
        let agent_info = raw.get("agentInfo").cloned().unwrap_or(Value::Null);
        let auth_methods = raw
            .get("authMethods")
            .and_then(Value::as_array)
            .map(|methods| {
                methods
                    .iter()
                    .map(|m| AuthMethodInfo {
                        id: text(m, "id").unwrap_or_default(),
                        name: text(m, "name").unwrap_or_default(),
                        description: text(m, "description"),
                        kind: text(m, "type"),
                        vars: m
                            .get("vars")
                            .and_then(Value::as_array)
                            .map(|vars| vars.iter().filter_map(|v| text(v, "name")).collect())
                            .unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        AgentInfo {
            name: text(&agent_info, "name"),
            title: text(&agent_info, "title"),
            version: text(&agent_info, "version"),
            protocol_version: raw.get("protocolVersion").and_then(Value::as_u64),
            capabilities: raw.get("agentCapabilities").cloned().unwrap_or(Value::Null),
            auth_methods,
        }
    }

    /// `loadSession: true`.
    pub fn supports_load(&self) -> bool {
        self.capabilities.get("loadSession").and_then(Value::as_bool).unwrap_or(false)
    }

    /// `sessionCapabilities.resume` present.
    pub fn supports_resume(&self) -> bool {
        self.capabilities
            .get("sessionCapabilities")
            .and_then(|c| c.get("resume"))
            .is_some_and(Value::is_object)
    }

    /// `sessionCapabilities.close` present.
    pub fn supports_close(&self) -> bool {
        self.capabilities
            .get("sessionCapabilities")
            .and_then(|c| c.get("close"))
            .is_some_and(Value::is_object)
    }

    /// The method to `authenticate` with, given the agent's environment: an `env_var` method whose
    /// variables are all set, or an api-key method when one of the profile's variables is set.
    pub fn env_auth_method(
        &self,
        hint: &CredentialHint,
        is_set: impl Fn(&str) -> bool,
    ) -> Option<&AuthMethodInfo> {
        let env_var = self.auth_methods.iter().find(|m| {
            m.kind.as_deref() == Some("env_var") && !m.vars.is_empty() && m.vars.iter().all(|v| is_set(v))
        });
        env_var.or_else(|| {
            let key_set = hint.env_any_of.iter().any(|v| is_set(v));
            self.auth_methods.iter().find(|m| {
                key_set && m.kind.as_deref() != Some("terminal") && m.id.replace('_', "-").contains("api-key")
            })
        })
    }

    /// What to tell a person whose agent demands authentication: variables from `env_var` methods,
    /// else from the profile, plus the profile's login step.
    pub fn auth_advice(&self, hint: &CredentialHint) -> String {
        let mut vars: Vec<String> = self.auth_methods.iter().flat_map(|m| m.vars.iter().cloned()).collect();
        for var in &hint.env_any_of {
            if !vars.contains(var) {
                vars.push(var.clone());
            }
        }
        CredentialHint { env_any_of: vars, login: hint.login.clone() }.advice()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codex() -> AgentInfo {
        AgentInfo::from_raw(&serde_json::json!({
            "protocolVersion": 1,
            "agentCapabilities": {"loadSession": true, "sessionCapabilities": {"resume": {}}},
            "authMethods": [
                {"id": "chatgpt", "name": "Login with ChatGPT"},
                {"type": "env_var", "id": "codex-api-key", "name": "Use CODEX_API_KEY", "vars": [{"name": "CODEX_API_KEY"}]},
                {"type": "env_var", "id": "openai-api-key", "name": "Use OPENAI_API_KEY", "vars": [{"name": "OPENAI_API_KEY"}]}
            ],
            "agentInfo": {"name": "codex-acp", "title": "Codex", "version": "0.16.0"}
        }))
    }

    #[test]
    fn reads_env_var_methods_that_the_schema_drops() {
        let info = codex();
        assert_eq!(info.version.as_deref(), Some("0.16.0"));
        assert!(info.supports_load() && info.supports_resume());
        assert_eq!(info.auth_methods[2].vars, ["OPENAI_API_KEY"]);
        let hint = CredentialHint {
            env_any_of: vec!["OPENAI_API_KEY".into()],
            login: Some("log in with `codex login`".into()),
        };
        let method = info.env_auth_method(&hint, |v| v == "OPENAI_API_KEY").unwrap();
        assert_eq!(method.id, "openai-api-key");
        assert!(info.env_auth_method(&hint, |_| false).is_none());
        assert_eq!(
            info.auth_advice(&hint),
            "set CODEX_API_KEY or OPENAI_API_KEY, or log in with `codex login`"
        );
    }

    #[test]
    fn api_key_method_without_vars_uses_the_profile_variable() {
        let info = AgentInfo::from_raw(&serde_json::json!({
            "authMethods": [{"id": "oauth-personal", "name": "Google"}, {"id": "gemini-api-key", "name": "key"}]
        }));
        let hint = CredentialHint { env_any_of: vec!["GEMINI_API_KEY".into()], login: None };
        assert_eq!(info.env_auth_method(&hint, |v| v == "GEMINI_API_KEY").unwrap().id, "gemini-api-key");
        assert_eq!(info.auth_advice(&hint), "set GEMINI_API_KEY");
    }
}
