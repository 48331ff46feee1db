from aegis_cli.redact import MASK, Scrubber, is_secret_name, redact_mapping, scrub


def test_secret_names():
    for name in ("COMET_API_KEY", "HF_TOKEN", "my_secret", "db.password", "OPENAI_API_KEY", "api-key", "token"):
        assert is_secret_name(name), name
    for name in ("pad_token", "eos_token", "max_new_tokens", "monkey", "tokenizer", "keyword", "learning_rate",
                 "PWD", "OLDPWD", "PATH"):
        assert not is_secret_name(name), name


def test_redact_mapping_masks_secret_keys_deeply_and_scrubs_values(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_sentinel_value_1")
    data = {"hub": {"token": "abc", "repo_id": "me/x"}, "api_key": None,
            "notes": ["uses hf_sentinel_value_1"], "pad_token": "<pad>"}
    out = redact_mapping(data)
    assert out == {"hub": {"token": MASK, "repo_id": "me/x"}, "api_key": None,
                   "notes": [f"uses {MASK}"], "pad_token": "<pad>"}


def test_scrub_longest_value_first(monkeypatch):
    monkeypatch.setenv("A_KEY", "abcd1234")
    monkeypatch.setenv("B_TOKEN", "abcd1234extra")
    assert scrub("x abcd1234extra y abcd1234") == f"x {MASK} y {MASK}"
    assert Scrubber()("abcd1234extra") == MASK
