//! The signatures of Mistral 23's standard actions (`std.*`).
//!
//! Source: the constructors in `mistral/actions/std_actions.py` (Mistral 23.0.0),
//! registered under the entry-point group `mistral.actions`, and
//! `mistral_lib.utils.inspect_utils.get_arg_list_as_str`, which turns a constructor
//! into Mistral's parameter list (`name` required, `name=<JSON default>` optional,
//! declaration order; `**kwargs` disables checking). See
//! `../shared/reference/mistral-std-actions.md`.
//!
//! **How the engine must use this table** (when it is implemented): before an
//! action runs, compare the evaluated input mapping with [`StdAction::params`]
//! exactly as `mistral_lib.actions.providers.base.check_parameters` does — names
//! without default that are absent are `missing`, names not listed are
//! `unexpected` (unless [`StdAction::kwargs`]) — and fail the workflow with
//! [`StdAction::invalid_input_message`]; fill absent optional parameters from
//! [`Param::default`]. The checker reads the same entries, so the two cannot
//! disagree.

/// One constructor parameter of an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param {
    /// The parameter name (a key of the task's `input`).
    pub name: &'static str,
    /// The default as JSON text (`null`, `0`, `"GET"`…); `None` = required.
    pub default: Option<&'static str>,
}

impl Param {
    /// Whether the task must pass this parameter.
    pub const fn required(&self) -> bool {
        self.default.is_none()
    }
}

/// What a successful run of an action returns (the task's `result`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResultShape {
    /// Always `null`.
    Null,
    /// The value of the named input parameter, unchanged.
    Param(&'static str),
    /// A mapping with exactly these keys.
    Mapping(&'static [&'static str]),
    /// A mapping whose keys depend on the input.
    AnyMapping,
    /// Never succeeds (always an error result).
    Never,
    /// Anything (a string, a list, posted by an external service…).
    Any,
}

/// The signature and behaviour summary of one standard action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StdAction {
    /// Registered name, e.g. `std.echo`.
    pub name: &'static str,
    /// The Python class, as Mistral names it in `Invalid input [… class=…]`.
    pub class: &'static str,
    /// Constructor parameters, in declaration order.
    pub params: &'static [Param],
    /// The constructor takes `**kwargs`: any key is accepted, nothing is checked.
    pub kwargs: bool,
    /// Asynchronous: the result is posted through the API later.
    pub asynchronous: bool,
    /// The result of a successful run.
    pub result: ResultShape,
    /// One line: what the action does.
    pub doc: &'static str,
}

impl StdAction {
    /// The parameter called `name`.
    pub fn param(&self, name: &str) -> Option<&'static Param> {
        self.params.iter().find(|p| p.name == name)
    }

    /// Names of the required parameters, in declaration order.
    pub fn required(&self) -> impl Iterator<Item = &'static str> {
        self.params.iter().filter(|p| p.required()).map(|p| p.name)
    }

    /// Mistral's parameter list string (`output, delay=0`).
    pub fn parameter_list(&self) -> String {
        let mut out = String::new();
        for p in self.params {
            if !out.is_empty() {
                out.push_str(", ");
            }
            out.push_str(p.name);
            if let Some(d) = p.default {
                out.push('=');
                out.push_str(d);
            }
        }
        if self.kwargs {
            if !out.is_empty() {
                out.push_str(", ");
            }
            out.push_str("**kwargs");
        }
        out
    }

    /// `(missing, unexpected)` parameter names for an input mapping with these keys,
    /// as `check_parameters` computes them.
    pub fn check<'k>(&self, keys: &[&'k str]) -> (Vec<&'static str>, Vec<&'k str>) {
        let missing = self.required().filter(|r| !keys.contains(r)).collect();
        let unexpected = if self.kwargs {
            Vec::new()
        } else {
            keys.iter()
                .copied()
                .filter(|k| self.param(k).is_none())
                .collect()
        };
        (missing, unexpected)
    }

    /// Mistral's message for a failed parameter check:
    /// `Invalid input [name=std.echo, class=…, missing=['output']]`.
    pub fn invalid_input_message(&self, missing: &[&str], unexpected: &[&str]) -> String {
        let list = |names: &[&str]| {
            let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
            format!("[{}]", quoted.join(", "))
        };
        let mut s = format!("Invalid input [name={}, class={}", self.name, self.class);
        if !missing.is_empty() {
            s.push_str(&format!(", missing={}", list(missing)));
        }
        if !unexpected.is_empty() {
            s.push_str(&format!(", unexpected={}", list(unexpected)));
        }
        s.push(']');
        s
    }
}

const fn req(name: &'static str) -> Param {
    Param {
        name,
        default: None,
    }
}

const fn opt(name: &'static str, default: &'static str) -> Param {
    Param {
        name,
        default: Some(default),
    }
}

const HTTP_PARAMS: &[Param] = &[
    req("url"),
    opt("method", "\"GET\""),
    opt("params", "null"),
    opt("body", "null"),
    opt("json", "null"),
    opt("headers", "null"),
    opt("cookies", "null"),
    opt("auth", "null"),
    opt("timeout", "null"),
    opt("allow_redirects", "null"),
    opt("proxies", "null"),
    opt("verify", "null"),
];

/// The keys of `std.http`'s result (and of its error payload for non-2xx replies).
pub const HTTP_RESULT_KEYS: &[&str] = &[
    "content", "status", "headers", "url", "history", "encoding", "reason", "cookies", "elapsed",
];

const JS_PARAMS: &[Param] = &[req("script"), opt("context", "null")];

/// Every standard action of Mistral 23.0.0, sorted by name.
pub const STD_ACTIONS: &[StdAction] = &[
    StdAction {
        name: "std.async_noop",
        class: "mistral.actions.std_actions.AsyncNoOpAction",
        params: &[],
        kwargs: false,
        asynchronous: true,
        result: ResultShape::Any,
        doc: "Does nothing and stays RUNNING until its result is posted through the API.",
    },
    StdAction {
        name: "std.echo",
        class: "mistral.actions.std_actions.EchoAction",
        params: &[req("output"), opt("delay", "0")],
        kwargs: false,
        asynchronous: false,
        result: ResultShape::Param("output"),
        doc: "Returns `output` unchanged, after sleeping `delay` seconds.",
    },
    StdAction {
        name: "std.email",
        class: "mistral.actions.std_actions.SendEmailAction",
        params: &[
            req("from_addr"),
            req("to_addrs"),
            req("smtp_server"),
            opt("reply_to", "null"),
            opt("cc_addrs", "null"),
            opt("bcc_addrs", "null"),
            opt("smtp_password", "null"),
            opt("subject", "null"),
            opt("body", "null"),
            opt("html_body", "null"),
        ],
        kwargs: false,
        asynchronous: false,
        result: ResultShape::Null,
        doc: "Sends an e-mail through an SMTP server (address parameters are lists).",
    },
    StdAction {
        name: "std.fail",
        class: "mistral.actions.std_actions.FailAction",
        params: &[opt("error_data", "null")],
        kwargs: false,
        asynchronous: false,
        result: ResultShape::Never,
        doc: "Always fails; a truthy `error_data` becomes the error result.",
    },
    StdAction {
        name: "std.http",
        class: "mistral.actions.std_actions.HTTPAction",
        params: HTTP_PARAMS,
        kwargs: false,
        asynchronous: false,
        result: ResultShape::Mapping(HTTP_RESULT_KEYS),
        doc: "Sends an HTTP request; a status outside 200…306 is an error carrying the same mapping.",
    },
    StdAction {
        name: "std.javascript",
        class: "mistral.actions.std_actions.JavaScriptAction",
        params: JS_PARAMS,
        kwargs: false,
        asynchronous: false,
        result: ResultShape::Any,
        doc: "Runs a JavaScript function body with `context` bound to `$`; returns its value.",
    },
    StdAction {
        name: "std.js",
        class: "mistral.actions.std_actions.JavaScriptAction",
        params: JS_PARAMS,
        kwargs: false,
        asynchronous: false,
        result: ResultShape::Any,
        doc: "Alias of `std.javascript`.",
    },
    StdAction {
        name: "std.mistral_http",
        class: "mistral.actions.std_actions.MistralHTTPAction",
        params: HTTP_PARAMS,
        kwargs: false,
        asynchronous: true,
        result: ResultShape::Any,
        doc: "Like `std.http` with Mistral callback headers; asynchronous (the service posts the result).",
    },
    StdAction {
        name: "std.noop",
        class: "mistral.actions.std_actions.NoOpAction",
        params: &[],
        kwargs: false,
        asynchronous: false,
        result: ResultShape::Null,
        doc: "Does nothing; the action of a task with neither `action` nor `workflow`.",
    },
    StdAction {
        name: "std.sleep",
        class: "mistral.actions.std_actions.SleepAction",
        params: &[opt("seconds", "1")],
        kwargs: false,
        asynchronous: false,
        result: ResultShape::Null,
        doc: "Sleeps `seconds` (converted with int(); negative or invalid = 0).",
    },
    StdAction {
        name: "std.ssh",
        class: "mistral.actions.std_actions.SSHAction",
        params: &[
            req("cmd"),
            req("host"),
            req("username"),
            opt("password", "\"\""),
            opt("private_key_filename", "null"),
            opt("private_key", "null"),
            opt("return_result_on_error", "false"),
        ],
        kwargs: false,
        asynchronous: false,
        result: ResultShape::Any,
        doc: "Runs a command over SSH on one host or a list of hosts; returns its standard output.",
    },
    StdAction {
        name: "std.ssh_proxied",
        class: "mistral.actions.std_actions.SSHProxiedAction",
        params: &[
            req("cmd"),
            req("host"),
            req("username"),
            req("private_key_filename"),
            req("gateway_host"),
            opt("gateway_username", "null"),
            opt("password", "null"),
            opt("proxy_command", "null"),
            opt("private_key", "null"),
        ],
        kwargs: false,
        asynchronous: false,
        result: ResultShape::Any,
        doc: "Runs a command over SSH through a gateway host; returns its standard output.",
    },
    StdAction {
        name: "std.test_dict",
        class: "mistral.actions.std_actions.TestDictAction",
        params: &[
            opt("size", "0"),
            opt("key_prefix", "\"\""),
            opt("val", "\"\""),
        ],
        kwargs: false,
        asynchronous: false,
        result: ResultShape::AnyMapping,
        doc: "Returns a mapping of `size` entries `<key_prefix><i>: val` (for tests).",
    },
];

/// The standard action called `name` (exact, case-sensitive, as Mistral looks it up).
pub fn std_action(name: &str) -> Option<&'static StdAction> {
    STD_ACTIONS
        .binary_search_by(|a| a.name.cmp(name))
        .ok()
        .and_then(|i| STD_ACTIONS.get(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        for w in STD_ACTIONS.windows(2) {
            assert!(w[0].name < w[1].name, "{} !< {}", w[0].name, w[1].name);
        }
    }

    /// Mistral's parameter strings, as `get_arg_list_as_str` prints them for
    /// Mistral 23.0.0 (`mistral-std-actions.md`).
    #[test]
    fn parameter_lists_match_mistral() {
        let expected = [
            ("std.async_noop", ""),
            ("std.echo", "output, delay=0"),
            ("std.fail", "error_data=null"),
            (
                "std.http",
                "url, method=\"GET\", params=null, body=null, json=null, headers=null, cookies=null, auth=null, timeout=null, allow_redirects=null, proxies=null, verify=null",
            ),
            ("std.sleep", "seconds=1"),
            (
                "std.ssh",
                "cmd, host, username, password=\"\", private_key_filename=null, private_key=null, return_result_on_error=false",
            ),
            ("std.test_dict", "size=0, key_prefix=\"\", val=\"\""),
        ];
        for (name, list) in expected {
            let action = std_action(name).map(StdAction::parameter_list);
            assert_eq!(action.as_deref(), Some(list), "{name}");
        }
        assert!(std_action("std.nope").is_none());
        assert_eq!(STD_ACTIONS.len(), 13);
    }

    #[test]
    fn check_reports_missing_and_unexpected() {
        let echo = std_action("std.echo");
        let Some(echo) = echo else {
            panic!("std.echo missing")
        };
        let (missing, unexpected) = echo.check(&["delay", "bogus"]);
        assert_eq!(missing, ["output"]);
        assert_eq!(unexpected, ["bogus"]);
        assert_eq!(
            echo.invalid_input_message(&missing, &unexpected),
            "Invalid input [name=std.echo, class=mistral.actions.std_actions.EchoAction, missing=['output'], unexpected=['bogus']]"
        );
    }
}
