import re
import tomllib
from pathlib import Path

import pytest
import yaml

from custlab import config
from custlab.analyses import accounts
from custlab.errors import ParamsError


def test_paths_come_from_the_package_not_the_cwd(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert config.PROJECT_ROOT == Path(config.__file__).resolve().parents[2]
    assert (config.PROJECT_ROOT / "pyproject.toml").exists()
    assert config.resolve_path("data/x").parent == config.PROJECT_ROOT / "data"


def test_layers_later_wins_and_notebook_sections(params_dir, tmp_path):
    (params_dir / "10_key_accounts.yaml").write_text("key_accounts:\n  rfm_bins: 4\n  p_alive_watch: 0.4\n", encoding="utf-8")
    user = tmp_path / "mine.yaml"
    user.write_text("language: zh\n10_key_accounts:\n  key_accounts:\n    rfm_bins: 3\n00_data_quality:\n  cleaning:\n    future_date_tolerance_days: 9\n", encoding="utf-8")
    p = config.load_params("10_key_accounts", [user], params_dir=params_dir)
    assert p.language == "zh"
    assert p.key_accounts.rfm_bins == 3            # user file wins over the notebook file
    assert p.key_accounts.p_alive_watch == 0.4     # untouched keys of a section survive
    q = config.load_params("00_data_quality", [user], params_dir=params_dir)
    assert q.cleaning.future_date_tolerance_days == 9
    assert config.load_params("10_key_accounts", [user], {"language": "en"}, params_dir=params_dir).language == "en"


def test_unknown_key_names_file_key_and_allowed(params_dir, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("langauge: zh\n", encoding="utf-8")
    with pytest.raises(ParamsError) as err:
        config.load_params("10_key_accounts", [bad], params_dir=params_dir)
    msg = str(err.value)
    assert str(bad) in msg and "'langauge'" in msg and "language" in msg and "allowed keys" in msg


def test_unknown_nested_key_and_wrong_type(params_dir, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("key_accounts:\n  rfm_bins: five\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=r"key 'key_accounts.rfm_bins' is 'five' \(str\); allowed: int"):
        config.load_params("10_key_accounts", [bad], params_dir=params_dir)
    bad.write_text("source:\n  kind: oracle\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=r"source.kind.*'duckdb' or 'sqlite'"):
        config.load_params("10_key_accounts", [bad], params_dir=params_dir)
    bad.write_text("key_accounts:\n  tier_share: [0.2]\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=r"'key_accounts.tier_share' is unknown; allowed keys under key_accounts: rfm_bins"):
        config.load_params("10_key_accounts", [bad], params_dir=params_dir)


def test_parameter_file_encodings_and_yaml_errors_say_where(params_dir, tmp_path):
    text = "language: zh\n# 华东大客户: 三档\n10_key_accounts:\n  key_accounts:\n    rfm_bins: 3\n"
    for encoding in ("utf-8", "utf-8-sig", "gbk"):  # a Chinese Windows editor saves "ANSI" as GBK
        mine = tmp_path / f"{encoding}.yaml"
        mine.write_bytes(text.encode(encoding))
        p = config.load_params("10_key_accounts", [mine], params_dir=params_dir)
        assert p.language == "zh" and p.key_accounts.rfm_bins == 3
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"language: \xff\xfe\xff\n")
    with pytest.raises(ParamsError, match=r"binary.yaml is neither UTF-8 nor GBK/GB18030 text \(byte 10\): save it as UTF-8"):
        config.load_params("10_key_accounts", [binary], params_dir=params_dir)
    broken = tmp_path / "broken.yaml"
    broken.write_text("language: zh\nkey_accounts: {rfm_bins: 3\nas_of: '2026-06-30'\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=r"broken.yaml is not valid YAML at line 3, column 6: expected ',' or '}'"):
        config.load_params("10_key_accounts", [broken], params_dir=params_dir)


def test_source_timezone_must_be_a_zone(params_dir, tmp_path):
    bad = tmp_path / "zone.yaml"
    bad.write_text("source:\n  timezone: Beijing\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=r"zone.yaml, source.timezone 'Beijing' is not a time zone name: use one such "
                                          r"as Asia/Shanghai"):
        config.load_params("10_key_accounts", [bad], params_dir=params_dir)
    bad.write_text("source:\n  timezone: Asia/Hong_Kong\n", encoding="utf-8")
    assert config.load_params("10_key_accounts", [bad], params_dir=params_dir).source.timezone == "Asia/Hong_Kong"


def test_missing_source_and_missing_file(params_dir, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("source:\n  path: nowhere/crm.duckdb\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=r"source.path .*nowhere/crm.duckdb does not exist"):
        config.load_params("10_key_accounts", [bad], params_dir=params_dir)
    with pytest.raises(ParamsError, match=r"Parameter file .*absent.yaml does not exist"):
        config.load_params("10_key_accounts", [tmp_path / "absent.yaml"], params_dir=params_dir)


def test_shipped_params_are_valid(small_sample, monkeypatch):
    monkeypatch.setattr(config, "check_source", lambda *a, **k: None)
    for nb in sorted(config.NOTEBOOKS_DIR.glob("*.ipynb")):
        p = config.load_params(nb.stem)
        assert p.language in ("en", "zh")


def _names(requirements):
    return {re.split(r"[\s<>=!\[;]", r.strip(), maxsplit=1)[0].lower().replace("_", "-") for r in requirements}


def test_environment_yml_mirrors_pyproject():
    root = config.PROJECT_ROOT
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = dict.fromkeys(project["dependencies"] + project["optional-dependencies"]["dev"])
    env = yaml.safe_load((root / "environment.yml").read_text(encoding="utf-8"))
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip[-1] == "-e ."  # the project itself, so that a conda user has the custlab command
    pip = pip[:-1]
    env_names = _names(conda + pip) - {"python", "pip"}
    assert env_names == _names(declared)
    # the same version ranges, not only the same names
    ranges = {_names([r]).pop(): re.sub(r"\s", "", r.split(" ", 1)[-1]) for r in declared}
    for req in conda + pip:
        name = _names([req]).pop()
        if name in ranges:
            assert re.sub(r"^[^<>=!]*", "", req.replace(" ", "")) == re.sub(r"^[^<>=!]*", "", ranges[name].replace(" ", "")), name
    for req in declared:
        assert re.search(r"[<>=]", req), f"{req} has no version range"


def test_strategy_actions_in_one_text_or_one_per_language(params_dir, tmp_path):
    mine = tmp_path / "strategy.yaml"
    mine.write_text("10_key_accounts:\n  key_accounts:\n    strategy:\n      high: VIP 服务\n"
                    "      low: {zh: 线上服务}\n      medium: {en: nurture, zh: 培育}\n", encoding="utf-8")
    ka = config.load_params("10_key_accounts", [mine], params_dir=params_dir).key_accounts
    assert ka.actions("zh") == {"high": "VIP 服务", "low": "线上服务", "medium": "培育"}
    assert ka.actions("en") == {"high": "VIP 服务", "low": "线上服务", "medium": "nurture"}  # no English: the Chinese
    assert accounts.KeyAccountSettings().actions("zh")["high"] == "专属客户经理，季度业务回顾"
    mine.write_text("10_key_accounts:\n  key_accounts:\n    strategy:\n      high: {fr: service}\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=r"strategy.yaml, key 'key_accounts.strategy.high' is \{'fr': 'service'\} "
                                          r"\(dict\); allowed: str or a mapping with keys en, zh"):
        config.load_params("10_key_accounts", [mine], params_dir=params_dir)


KA, DQ = "10_key_accounts", "00_data_quality"


@pytest.mark.parametrize("notebook, yaml_text, message", [(KA, *case) for case in [
    ("key_accounts:\n  tier_shares: [0.8, 0.5]\n",
     r"key 'key_accounts.tier_shares' is \[0.8, 0.5\]; allowed: two shares \[high, medium\], each above 0, together below 1"),
    ("key_accounts:\n  tier_shares: [0.2]\n", r"key 'key_accounts.tier_shares' is \[0.2\]; allowed: two shares"),
    ("key_accounts:\n  p_alive_watch: 2\n", r"key 'key_accounts.p_alive_watch' is 2.0; allowed: a number above 0 and at most 1"),
    ("key_accounts:\n  churn_order_drop: 0\n", r"key 'key_accounts.churn_order_drop' is 0.0; allowed: a number above 0 and at most 1"),
    ("key_accounts:\n  rfm_bins: 1\n", r"key 'key_accounts.rfm_bins' is 1; allowed: a number at least 2 and at most 10"),
    ("key_accounts:\n  rfmai_k: 1\n", r"key 'key_accounts.rfmai_k' is 1; allowed: a number at least 2\."),
    ("key_accounts:\n  rfmai_k_range: [8, 3]\n", r"key 'key_accounts.rfmai_k_range' is \[8, 3\]; allowed: two whole numbers"),
    ("key_accounts:\n  rfmai_k_range: [3, 1000]\n", r"key .key_accounts.rfmai_k_range. is \[3, 1000\]; allowed: .*highest <= 30"),
    ("as_of: yesterday\n", r"key .as_of. is .yesterday.; allowed: a day written YYYY-MM-DD"),
    ("as_of: \"2026-13-45\"\n", r"key .as_of. is .2026-13-45.; allowed: a day written YYYY-MM-DD"),
    ("key_accounts:\n  churn_horizon_days: -5\n", r"key 'key_accounts.churn_horizon_days' is -5; allowed: a number at least 1"),
    ("key_accounts:\n  index_weights: {purchase_volum: 1}\n",
     r"key 'key_accounts.index_weights' is \{'purchase_volum': 1.0\}; allowed: criterion: weight pairs .*criteria: purchase_volume, "),
    ("key_accounts:\n  index_weights: {growth: 0}\n", r"key 'key_accounts.index_weights' is \{'growth': 0.0\}; allowed: .*not all 0"),
    ("key_accounts:\n  strategy: {hihg: VIP}\n", r"key 'key_accounts.strategy' is \{'hihg': 'VIP'\}; allowed: groups high, high_at_risk"),
    ("key_accounts:\n  tags: {frequency_medium: 12}\n",
     r"key 'key_accounts.tags.frequency_medium' \(12\) must be below 'key_accounts.tags.frequency_high' \(10\)"),
    ("source:\n  skip_rows: -1\n", r"key 'source.skip_rows' is -1; allowed: a number at least 0"),
    ("source:\n  bad_value_tolerance: 5\n", r"key 'source.bad_value_tolerance' is 5.0; allowed: a number at least 0 and at most 1"),
]] + [(DQ, *case) for case in [
    ("cleaning:\n  duplicates: {fuzzy: {name: 1.5}}\n",
     r"key 'cleaning.duplicates.fuzzy' is \{'name': 1.5\}; allowed: each value a number above 0 and at most 1"),
    ("cleaning:\n  outliers: {unit_factors: [10000, 1]}\n",
     r"key 'cleaning.outliers.unit_factors' is \[10000.0, 1.0\]; allowed: each item a number above 1"),
    ("cleaning:\n  units: {orders.amount: 0}\n", r"key 'cleaning.units' is \{'orders.amount': 0.0\}; allowed: each value a number above 0"),
    ("cleaning:\n  future_date_tolerance_days: -1\n", r"key 'cleaning.future_date_tolerance_days' is -1; allowed: a number at least 0"),
    ("cleaning:\n  duplicates: {min_agree: 3}\n",
     r"key 'cleaning.duplicates.min_agree' is 3, more than the 2 fuzzy fields \(name, contact\); allowed: at most 2"),
    ("cleaning:\n  duplicates: {similarity: {phone: jaro_winkler}}\n",
     r"key 'cleaning.duplicates.similarity.phone' names a column that is not a fuzzy field \(name, contact\)"),
    ("cleaning:\n  duplicates: {similarity: {name: jaro}}\n",
     r"key 'cleaning.duplicates.similarity.name' is 'jaro' \(str\); allowed: 'ratio' or 'levenshtein' or 'jaro_winkler' or 'token_set'"),
]])
def test_values_out_of_range_are_named_with_what_is_allowed(params_dir, tmp_path, notebook, yaml_text, message):
    bad = tmp_path / "range.yaml"
    bad.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ParamsError, match=r"In .*range.yaml, " + message):
        config.load_params(notebook, [bad], params_dir=params_dir)


def test_values_at_the_edges_are_allowed(params_dir, tmp_path):
    edge = tmp_path / "edge.yaml"
    edge.write_text("key_accounts:\n  tier_shares: [0.5, 0.49]\n  p_alive_watch: 1\n  rfm_bins: 10\n  rfmai_k_range: [2, 2]\n"
                    "  index_weights: {growth: 0, purchase_volume: 2}\n  churn_order_drop: 1\n"
                    "  tags: {frequency_medium: 9}\n", encoding="utf-8")
    ka = config.load_params("10_key_accounts", [edge], params_dir=params_dir).key_accounts
    assert (ka.tier_shares, ka.p_alive_watch, ka.rfmai_k_range, ka.churn_order_drop) == ([0.5, 0.49], 1.0, [2, 2], 1.0)
    assert ka.tags.frequency_medium == 9 and ka.tags.frequency_high == 10


def test_the_checked_names_match_the_analyses():
    from custlab.analyses import accounts
    assert tuple(accounts.CRITERIA_DIRECTION) == accounts.INDEX_CRITERIA
    assert tuple(accounts.KeyAccountSettings().strategy) == accounts.STRATEGY_GROUPS
    import typing

    from custlab.analyses import factors
    hints = typing.get_type_hints(factors.FactorSettings)
    assert typing.get_args(hints["method"]) == factors.METHODS
    assert set(typing.get_args(hints["rotation"])) == set(factors.ROTATIONS)
    from custlab.analyses import segments
    assert typing.get_args(typing.get_type_hints(segments.SegmentSettings)["method"]) == segments.METHODS


@pytest.mark.parametrize("notebook, section, text, message", [
    ("20_survey_factors", "factors", "rotation: geomin", r"factors.rotation.*oblimin"),
    ("20_survey_factors", "factors", "factor_names: {service: 服务}", r"factors.factor_names.*factor keys F1, F2"),
    ("20_survey_factors", "factors", "n_factors: 0", r"factors.n_factors"),
    ("40_customer_segments", "segments", "method: dbscan", r"segments.method.*'kmeans' or 'ward' or 'gmm'"),
    ("40_customer_segments", "segments", "k_range: [1, 5]", r"segments.k_range.*2 <= lowest <= highest"),
    ("40_customer_segments", "segments", "k: 1", r"segments.k"),
    ("40_customer_segments", "segments", "segment_names: {big: 大客户}", r"segments.segment_names.*segment keys S1, S2"),
    ("40_customer_segments", "segments", "stability_iterations: 3", r"segments.stability_iterations"),
    ("50_conjoint", "conjoint", "class_range: [1, 3]", r"conjoint.class_range.*2 <= lowest <= highest"),
    ("50_conjoint", "conjoint", "products: [our_offer]", r"conjoint.products.*allowed: dict"),
    ("50_conjoint", "conjoint", "prices: price", r"conjoint.prices' is unknown"),
    ("60_prospects", "prospects", "key_share: 0", r"prospects.key_share"),
    ("60_prospects", "prospects", "folds: 1", r"prospects.folds"),
])
def test_analysis_settings_are_checked(params_dir, tmp_path, notebook, section, text, message):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"{section}:\n  {text}\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=message):
        config.load_params(notebook, [bad], params_dir=params_dir)


def test_factor_settings_are_read(params_dir, tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("factors:\n  n_factors: 3\n  rotation: varimax\n  factor_names: {F1: {en: Service, zh: 服务}}\n", encoding="utf-8")
    fs = config.load_params("20_survey_factors", [good], params_dir=params_dir).factors
    assert (fs.n_factors, fs.rotation, config.texts_in(fs.factor_names, "zh")) == (3, "varimax", {"F1": "服务"})
