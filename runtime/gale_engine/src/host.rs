//! `gale_vm`'s [`MistralContext`] for the engine: `task()`, `tasks()`,
//! `execution()`, `env()` and `global()` answered from a snapshot of the current
//! workflow execution (taken only when the program uses those functions).

use std::rc::Rc;

use gale_vm::mistral::MistralContext;
use gale_vm::{Error, ErrorKind, Value};
use serde_json::{Map, Value as Json, json};

use crate::state::{TaskEx, WorkflowEx};

/// A snapshot of what Mistral's expression functions can see.
pub struct Host {
    /// `__env`.
    pub env: Json,
    /// `execution()`.
    pub execution: Json,
    /// Task dicts of the execution, in creation order (name, dict).
    pub tasks: Vec<Rc<(String, Json)>>,
    /// The current task dict, if any.
    pub current: Option<Json>,
    /// The workflow context (for `global()`).
    pub globals: Map<String, Json>,
}

/// A fixed timestamp text (normalised by the conformance comparator).
pub const TIMESTAMP: &str = "1970-01-01 00:00:00";

/// `get_task_execution_result`.
pub fn task_result(t: &TaskEx, with_items: bool) -> Json {
    let mut execs: Vec<&crate::state::ActionEx> = t
        .actions
        .iter()
        .filter(|a| a.accepted && a.output.is_some())
        .collect();
    execs.sort_by_key(|a| a.index);
    let output = |a: &crate::state::ActionEx| {
        if a.cleared {
            Json::Null
        } else {
            a.output.clone().unwrap_or(Json::Null)
        }
    };
    // Iterations kept inline are action executions `0..n` ahead of the records
    // (accepted, with a result): a stable sort by index puts them first, then the
    // records, unless a record has a lower index.
    let inline = &t.items_inline;
    let inline_result = |r: &crate::state::Compact| {
        if t.items_inline_cleared {
            Json::Null
        } else {
            r.to_json()
        }
    };
    let results: Vec<Json> = if execs.first().is_none_or(|a| a.index >= inline.len()) {
        let mut results = Vec::with_capacity(inline.len() + execs.len());
        results.extend(inline.iter().map(inline_result));
        results.extend(execs.iter().map(|a| output(a)));
        results
    } else {
        let mut all: Vec<(usize, Json)> = inline
            .iter()
            .enumerate()
            .map(|(i, r)| (i, inline_result(r)))
            .chain(execs.iter().map(|a| (a.index, output(a))))
            .collect();
        all.sort_by_key(|(i, _)| *i);
        all.into_iter().map(|(_, j)| j).collect()
    };
    if with_items {
        return Json::Array(results);
    }
    if results.len() == 1 {
        results.into_iter().next().unwrap_or(Json::Null)
    } else {
        Json::Array(results)
    }
}

/// Mistral's user model of a task execution.
pub fn task_dict(wf: &WorkflowEx, t: &TaskEx, with_items: bool) -> Json {
    json!({
        "id": t.id,
        "name": t.name,
        "spec": {},
        "state": t.state.name(),
        "state_info": t.state_info,
        "result": task_result(t, with_items),
        "published": t.published,
        "type": "ACTION",
        "workflow_execution_id": wf.id,
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
    })
}

fn conv(j: &Json) -> Value {
    gale_vm::convert::from_json(j, true)
}

impl MistralContext for Host {
    fn env(&self) -> Value {
        conv(&self.env)
    }
    fn execution(&self) -> gale_vm::Result<Value> {
        Ok(conv(&self.execution))
    }
    fn executions(&self, _: &[(&str, Value)]) -> gale_vm::Result<Value> {
        Ok(Value::list(vec![conv(&self.execution)]))
    }
    fn task(&self, name: Option<&str>) -> gale_vm::Result<Value> {
        if let Some(cur) = &self.current
            && (name.is_none() || cur.get("name").and_then(Json::as_str) == name)
        {
            return Ok(conv(cur));
        }
        let Some(name) = name else {
            return Err(Error::new(ErrorKind::MistralError, "no current task"));
        };
        Ok(self
            .tasks
            .iter()
            .rev()
            .find(|e| e.0 == name)
            .map(|e| conv(&e.1))
            .unwrap_or(Value::Null))
    }
    fn tasks(
        &self,
        _: Option<&str>,
        _: bool,
        state: Option<&str>,
        _: bool,
    ) -> gale_vm::Result<Value> {
        Ok(Value::list(
            self.tasks
                .iter()
                .filter(|e| state.is_none() || e.1.get("state").and_then(Json::as_str) == state)
                .map(|e| conv(&e.1))
                .collect(),
        ))
    }
    fn global(&self, name: &str) -> gale_vm::Result<Value> {
        Ok(self.globals.get(name).map(conv).unwrap_or(Value::Null))
    }
}
