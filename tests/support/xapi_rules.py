"""The xAPI 1.0.3 statement rules the exports rely on, as a checker that lists every broken rule.

Written from the specification (xAPI 1.0.3, Part Two: Data, section 2.4 "Statement Properties"),
covering the properties the statements use; anything else present is checked for being allowed.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

STATEMENT_PROPERTIES = {
    "id",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "stored",
    "authority",
    "version",
    "attachments",
}
INVERSE_FUNCTIONAL_IDENTIFIERS = ("mbox", "mbox_sha1sum", "openid", "account")
RESULT_PROPERTIES = {"score", "success", "completion", "response", "duration", "extensions"}
SCORE_PROPERTIES = {"scaled", "raw", "min", "max"}
# ISO 8601 durations as xAPI uses them: PnYnMnDTnHnMnS (seconds may carry a fraction) or PnW.
DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$|^P\d+W$")
# An ISO 8601 date and time with a zone (Z or an offset): a timestamp without one is ambiguous.
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IRI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]+$")
LANGUAGE_TAG = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _language_map(value: Any, where: str, problems: list[str]) -> None:
    if not isinstance(value, dict) or not value:
        problems.append(f"{where} must be a language map (an object of language tags to strings)")
        return
    for tag, text in value.items():
        if not LANGUAGE_TAG.match(tag) or not isinstance(text, str):
            problems.append(f"{where} has a bad entry {tag!r}")


def _is_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


def _agent(actor: Any, where: str, problems: list[str]) -> None:
    if not isinstance(actor, dict):
        problems.append(f"{where} must be an object")
        return
    if actor.get("objectType", "Agent") != "Agent":
        problems.append(f"{where}.objectType must be Agent (groups are not used)")
    present = [name for name in INVERSE_FUNCTIONAL_IDENTIFIERS if name in actor]
    if len(present) != 1:
        problems.append(f"{where} must have exactly one inverse functional identifier, has {present}")
    account = actor.get("account")
    if "account" in actor:
        if not isinstance(account, dict) or set(account) != {"homePage", "name"}:
            problems.append(f"{where}.account must have homePage and name, and nothing else")
        else:
            if not isinstance(account["homePage"], str) or not IRI.match(account["homePage"]):
                problems.append(f"{where}.account.homePage must be an IRL")
            if not isinstance(account["name"], str) or not account["name"]:
                problems.append(f"{where}.account.name must be a non-empty string")
    if "mbox" in actor and not str(actor["mbox"]).startswith("mailto:"):
        problems.append(f"{where}.mbox must be a mailto: IRI")
    unknown = set(actor) - {"objectType", "name", *INVERSE_FUNCTIONAL_IDENTIFIERS}
    if unknown:
        problems.append(f"{where} has unknown properties {sorted(unknown)}")


def _result(result: Any, problems: list[str]) -> None:
    if not isinstance(result, dict):
        problems.append("result must be an object")
        return
    unknown = set(result) - RESULT_PROPERTIES
    if unknown:
        problems.append(f"result has unknown properties {sorted(unknown)}")
    for flag in ("success", "completion"):
        if flag in result and not isinstance(result[flag], bool):
            problems.append(f"result.{flag} must be true or false")
    if "duration" in result and not (isinstance(result["duration"], str) and DURATION.match(result["duration"])):
        problems.append("result.duration must be an ISO 8601 duration")
    if "score" not in result:
        return
    score = result["score"]
    if not isinstance(score, dict) or not score:
        problems.append("result.score must be an object")
        return
    if set(score) - SCORE_PROPERTIES:
        problems.append(f"result.score has unknown properties {sorted(set(score) - SCORE_PROPERTIES)}")
    for name in SCORE_PROPERTIES & set(score):
        if not _is_number(score[name]):
            problems.append(f"result.score.{name} must be a number")
            return
    if "scaled" in score and not -1 <= score["scaled"] <= 1:
        problems.append("result.score.scaled must be between -1 and 1")
    low, high, raw = score.get("min"), score.get("max"), score.get("raw")
    if low is not None and high is not None and low >= high:
        problems.append("result.score.min must be less than max")
    if raw is not None and ((low is not None and raw < low) or (high is not None and raw > high)):
        problems.append("result.score.raw must be between min and max")


def validate_statement(statement: Any) -> list[str]:
    """Every rule the statement breaks, in words; an empty list means it keeps them all."""
    problems: list[str] = []
    if not isinstance(statement, dict):
        return ["a statement must be an object"]
    unknown = set(statement) - STATEMENT_PROPERTIES
    if unknown:
        problems.append(f"unknown statement properties {sorted(unknown)}")
    for required in ("actor", "verb", "object"):
        if required not in statement:
            problems.append(f"{required} is required")
    if "id" in statement and not _is_uuid(statement["id"]):
        problems.append("id must be a UUID string")
    if "actor" in statement:
        _agent(statement["actor"], "actor", problems)

    verb = statement.get("verb")
    if verb is not None:
        if not isinstance(verb, dict) or not isinstance(verb.get("id"), str) or not IRI.match(verb["id"]):
            problems.append("verb.id must be an IRI")
        elif "display" not in verb:
            problems.append("verb.display should be given as a language map")
        else:
            _language_map(verb["display"], "verb.display", problems)

    target = statement.get("object")
    if target is not None:
        if not isinstance(target, dict):
            problems.append("object must be an object")
        else:
            kind = target.get("objectType", "Activity")
            if kind == "Activity":
                if not isinstance(target.get("id"), str) or not IRI.match(target["id"]):
                    problems.append("object.id must be an IRI")
                definition = target.get("definition")
                if definition is not None:
                    if not isinstance(definition, dict):
                        problems.append("object.definition must be an object")
                    else:
                        for map_name in ("name", "description"):
                            if map_name in definition:
                                _language_map(definition[map_name], f"object.definition.{map_name}", problems)
                        if "type" in definition and not IRI.match(str(definition["type"])):
                            problems.append("object.definition.type must be an IRI")
            elif kind == "StatementRef":
                if not _is_uuid(target.get("id")):
                    problems.append("a StatementRef's id must be a UUID")
                if set(target) != {"objectType", "id"}:
                    problems.append("a StatementRef has only objectType and id")
            else:
                problems.append(f"object.objectType {kind!r} is not used by these statements")
            voiding = isinstance(verb, dict) and verb.get("id") == "http://adlnet.gov/expapi/verbs/voided"
            if voiding and kind != "StatementRef":
                problems.append("a voiding statement's object must be a StatementRef")

    if "result" in statement:
        _result(statement["result"], problems)
    for moment in ("timestamp", "stored"):
        if moment in statement and not (isinstance(statement[moment], str) and TIMESTAMP.match(statement[moment])):
            problems.append(f"{moment} must be an ISO 8601 date and time with a zone")
    if "version" in statement and not re.fullmatch(r"1\.0\.\d+", str(statement["version"])):
        problems.append("version must be 1.0.x")
    return problems
