//! `grammar/mistral-v2.schema.json` is generated from the checker's key tables and
//! must not drift: regenerate with
//! `GALE_UPDATE_SCHEMA=1 cargo test -p gale_db --test schema`.

use std::path::PathBuf;

fn schema_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../grammar/mistral-v2.schema.json")
}

#[test]
fn every_key_of_the_tables_has_a_value_type() {
    for (place, keys) in gale_db::schema::places() {
        for key in keys {
            assert!(
                gale_db::schema::value_schema(place, key).is_some(),
                "no JSON Schema type for key `{key}` of {place}: add it to gale_db::schema::value_schema"
            );
        }
    }
}

#[test]
fn schema_file_is_generated_from_the_tables() {
    let generated = gale_db::schema::json_schema();
    let path = schema_path();
    if std::env::var_os("GALE_UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).expect("write the schema");
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "grammar/mistral-v2.schema.json is out of date: run `GALE_UPDATE_SCHEMA=1 cargo test -p gale_db --test schema`"
    );
}

#[test]
fn schema_describes_tasks_with_the_checkers_keys() {
    let schema = gale_db::schema::json_schema_value();
    let task = &schema["$defs"]["task"]["properties"];
    for key in [
        "action",
        "workflow",
        "join",
        "on-success",
        "requires",
        "with-items",
        "retry",
    ] {
        assert!(task.get(key).is_some(), "task key {key} missing");
    }
    assert_eq!(schema["$defs"]["task"]["additionalProperties"], false);
    assert_eq!(
        schema["$defs"]["workflow"]["required"],
        serde_json::json!(["tasks"])
    );
}
