//! Helpers shared by the conformance tests (locating `../shared`, reading fixtures).
