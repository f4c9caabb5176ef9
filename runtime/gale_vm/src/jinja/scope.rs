//! Jinja variable scopes for compiled templates (`gale_bytecode`'s `LoadName`,
//! `StoreName`, `Rebind`, `PushScope`).
//!
//! A [`Scope`] is one frame of template variables (the template itself, a `for`
//! iteration, a `with` block, a macro call) with a parent; the root holds the
//! variables Mistral passes (`get_jinja_context`: `_`, `__env`, `__execution`,
//! `__task_execution`) and the data context that Mistral's functions are bound to.
//! Frames are shared (`Rc`) and mutable, so loop bodies and macros — prototypes run
//! as closures — see and update the variables of the scope they were created in.

use std::cell::RefCell;
use std::rc::Rc;

use crate::value::Value;

/// One frame of template variables.
pub struct Scope {
    vars: RefCell<Vec<(Rc<str>, Value)>>,
    parent: Option<Rc<Scope>>,
    data: Value,
}

/// The template variables Mistral passes for `data` (`get_jinja_context`).
pub fn template_vars(data: &Value) -> Vec<(Rc<str>, Value)> {
    let mut vars: Vec<(Rc<str>, Value)> = vec![("_".into(), data.clone())];
    if let Value::Dict(d) = data {
        for k in ["__env", "__execution", "__task_execution"] {
            vars.push((k.into(), d.get_str(k).cloned().unwrap_or(Value::Null)));
        }
    }
    vars
}

impl Scope {
    /// The root scope of a template evaluated against Mistral's data context `data`.
    pub fn root(data: Value) -> Rc<Scope> {
        Rc::new(Scope {
            vars: RefCell::new(template_vars(&data)),
            parent: None,
            data,
        })
    }

    /// A new frame below `parent` holding `vars`.
    pub fn child(parent: &Rc<Scope>, vars: Vec<(Rc<str>, Value)>) -> Rc<Scope> {
        Rc::new(Scope {
            vars: RefCell::new(vars),
            parent: Some(parent.clone()),
            data: parent.data.clone(),
        })
    }

    /// The data context (`_`) Mistral's functions are bound to.
    pub fn data(&self) -> &Value {
        &self.data
    }

    fn find(&self, name: &str) -> Option<Value> {
        let mut s = self;
        loop {
            if let Some((_, v)) = s.vars.borrow().iter().find(|(n, _)| &**n == name) {
                return Some(v.clone());
            }
            s = s.parent.as_deref()?;
        }
    }

    /// `name` as a template reads it: the innermost binding, else a global (`range`,
    /// Mistral's functions…), else a `StrictUndefined`.
    pub fn lookup(&self, name: &str) -> Value {
        self.find(name).unwrap_or_else(|| {
            super::globals::global(name, &self.data).unwrap_or_else(|| super::undefined_name(name))
        })
    }

    /// Binds `name` in this frame.
    pub fn set(&self, name: &str, value: Value) {
        let mut vars = self.vars.borrow_mut();
        match vars.iter_mut().find(|(n, _)| &**n == name) {
            Some(slot) => slot.1 = value,
            None => vars.push((name.into(), value)),
        }
    }

    /// [`Scope::set`] with a shared name (no allocation).
    pub fn set_shared(&self, name: &Rc<str>, value: Value) {
        let mut vars = self.vars.borrow_mut();
        match vars.iter_mut().find(|(n, _)| **n == **name) {
            Some(slot) => slot.1 = value,
            None => vars.push((name.clone(), value)),
        }
    }

    /// Stores `name` in the innermost frame that binds it, else in the root frame.
    pub fn rebind(&self, name: &str, value: Value) {
        let mut s = self;
        loop {
            if s.vars.borrow().iter().any(|(n, _)| &**n == name) {
                return s.set(name, value);
            }
            match s.parent.as_deref() {
                Some(p) => s = p,
                None => return s.set(name, value),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_shadow_and_rebind() {
        let root = Scope::root(Value::Int(7));
        assert_eq!(root.lookup("_"), Value::Int(7));
        assert!(super::super::is_undefined(&root.lookup("nope")));
        assert!(super::super::downcast::<super::super::Function>(&root.lookup("range")).is_some());
        let inner = Scope::child(&root, vec![("x".into(), Value::Int(1))]);
        inner.set("y", Value::Int(2));
        inner.rebind("_", Value::Int(8));
        inner.rebind("z", Value::Int(3));
        assert_eq!(root.lookup("_"), Value::Int(8));
        assert_eq!(root.lookup("z"), Value::Int(3));
        assert!(super::super::is_undefined(&root.lookup("y")));
        assert_eq!(inner.lookup("x"), Value::Int(1));
    }
}
