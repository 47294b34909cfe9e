//! API tokens: created once, stored only as a hash, scoped to a user or admin, revoked
//! at once, and kept across restarts.

use tidepool_engine::{Actor, Engine, StatementResult};

fn rows(result: StatementResult) -> Vec<Vec<serde_json::Value>> {
    match result {
        StatementResult::Rows { batches, .. } => tidepool_engine::rows_json(&batches),
        other => panic!("not rows: {other:?}"),
    }
}

#[tokio::test]
async fn tokens_authenticate_as_their_user_and_survive_a_restart_until_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let (alice_token, admin_token);
    {
        let engine = Engine::open(dir.path()).unwrap();
        let admin = engine.session(Actor::Admin);
        let created = rows(
            admin
                .execute("CREATE TOKEN FOR USER 'alice' LABEL 'laptop'")
                .await
                .unwrap()
                .remove(0),
        );
        let [id, user, label, token] = &created[0][..] else {
            panic!("{created:?}")
        };
        assert_eq!((user.as_str(), label.as_str()), (Some("alice"), Some("laptop")));
        alice_token = token.as_str().unwrap().to_string();
        assert!(alice_token.starts_with(&format!("tp_{}_", id.as_str().unwrap())));
        admin_token = engine.create_token(None, "serve").unwrap().1;

        let alice = engine.authenticate(&alice_token).unwrap();
        assert_eq!(alice.actor(), Actor::User("alice".into()));
        assert_eq!(engine.authenticate(&admin_token).unwrap().actor(), Actor::Admin);
        // A token with a valid id but another secret is refused, as is garbage.
        let forged = format!("{}x", &alice_token[..alice_token.len() - 1]);
        assert!(engine.authenticate(&forged).is_none());
        assert!(engine.authenticate("tp_").is_none());
        assert!(engine.authenticate("").is_none());

        // Users cannot create tokens; they see only their own in system.tokens.
        let as_alice = engine.session(Actor::User("alice".into()));
        let denied = as_alice.execute("CREATE TOKEN FOR USER 'bob'").await.unwrap_err();
        assert_eq!(denied.code(), "not_allowed");
        let listed = rows(
            as_alice
                .execute("SELECT id, user, label FROM system.tokens")
                .await
                .unwrap()
                .remove(0),
        );
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0][1], "alice");
    }

    // Only hashes are stored: the token text is nowhere in the database files.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap_or_default();
        let secret = alice_token.rsplit('_').next().unwrap().as_bytes();
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret),
            "token text stored in plain"
        );
    }

    let engine = Engine::open(dir.path()).unwrap();
    let alice = engine.authenticate(&alice_token).expect("kept across a restart");
    let admin = engine.session(Actor::Admin);
    let listed = rows(
        admin
            .execute("SELECT id FROM system.tokens ORDER BY created")
            .await
            .unwrap()
            .remove(0),
    );
    assert_eq!(listed.len(), 2);
    admin.execute(&format!("DROP TOKEN '{}'", alice.id)).await.unwrap();
    assert!(engine.authenticate(&alice_token).is_none(), "revoked at once");
    assert!(engine.authenticate(&admin_token).is_some());
    let again = admin
        .execute(&format!("REVOKE TOKEN '{}'", alice.id))
        .await
        .unwrap_err();
    assert_eq!(again.code(), "not_found");
    let empty_user = admin.execute("CREATE TOKEN FOR USER ''").await.unwrap_err();
    assert_eq!(empty_user.code(), "invalid_argument");
}
