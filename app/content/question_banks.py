"""Question banks that move: Moodle XML and GIFT, out of any module's quiz and into a school's module.

Export writes every question of a bank the way Moodle's importers read it:

- Moodle XML (https://docs.moodle.org/en/Moodle_XML_format): a `<quiz>` of `<question>`s, each with
  `<name>`, `<questiontext format="html">` (text in CDATA), `<generalfeedback>`, and per type:
  `multichoice` with `<single>` and `<shuffleanswers>`, an `<answer fraction="...">` per option with its
  `<feedback>` inside it (fractions are percentages: one right answer is 100; several right answers share
  100 and the wrong ones share -100, so choosing everything scores nothing, as here); `truefalse` with
  answers `true` and `false`; `matching` with a `<subquestion>` per item (an empty one per option no item
  matches: Moodle's extra wrong answers); `ordering` (Moodle's ordering question type) with the steps in
  the right order. A `<question type="category">` starts each category. Our own `kind`, `page` and
  `source` go in `<tags>`, so a file exported here imports back unchanged.
- GIFT (https://docs.moodle.org/en/GIFT_format): `::name::text{...}` with `=` for a right answer, `~` for
  a wrong one (`~%50%` for a weighted one), `#` before an answer's feedback, `####` before the general
  feedback, `{T}`/`{F}` for true or false, `=item -> match` for matching, `$CATEGORY:` lines, and the
  special characters `~ = # { } :` escaped with a backslash. GIFT has no ordering questions: an ordering
  question is left out of a GIFT export and named in a comment at the top.

Import reads the same types and nothing else: every other type (essay, numerical, short answer, cloze,
calculated, description ...) is listed by its name and skipped whole, never half-read. XML is parsed by
defusedxml, which refuses entity expansion and external entities. Files are capped in size and in
questions; a question that is malformed (a fraction total that is not 100, an empty answer) is an error
that stops the import, so a preview shows exactly what would be created before anything is saved.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as safe_xml
import nh3
from defusedxml import DefusedXmlException

from app.content.question_types import QUESTION_TYPES

MAX_FILE_BYTES = 1024 * 1024
MAX_QUESTIONS = 200
SUPPORTED_MOODLE_TYPES = {"multichoice", "truefalse", "matching", "ordering"}
# When an option carries no feedback of its own, which Moodle allows and SEND Ready does not.
RIGHT_OPTION = "This answer is right."
WRONG_OPTION = "This answer is not right."


class BankError(ValueError):
    """The file cannot be imported; `problems` lists each one, in words for the person importing it."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class ImportPreview:
    questions: list[dict[str, Any]] = field(default_factory=list)
    # (name or first words, type) of each question left out because SEND Ready has no such type.
    skipped: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # How many options arrived without feedback of their own (given a plain "right" or "not right").
    options_without_feedback: int = 0


# ---- text ---------------------------------------------------------------------------------------


def html_to_text(value: str) -> str:
    """Moodle's HTML as the plain text SEND Ready shows (and escapes): tags dropped, entities read."""
    without_tags = nh3.clean(value or "", tags=set(), clean_content_tags={"script", "style"})
    return re.sub(r"\s+", " ", html.unescape(without_tags)).strip()


def _text_of(element: Element | None) -> str:
    if element is None:
        return ""
    text = element.find("text")
    raw = text.text if text is not None else element.text
    return html_to_text(raw or "")


# ---- Moodle XML export --------------------------------------------------------------------------


def _cdata(text: str) -> str:
    # A CDATA section cannot hold "]]>": split it across two sections.
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _html_text(text: str) -> str:
    return _cdata("<p>" + html.escape(text, quote=False) + "</p>")


def _fraction(value: float) -> str:
    return f"{value:.7f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def _weights(count: int) -> str:
    return _fraction(100 / count) if count else "0"


def to_moodle_xml(questions, *, category: str) -> str:
    """Moodle XML for these questions (the catalogue's `Question` objects or question dicts)."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    current_category = None
    for question in questions:
        q = question_as_dict(question)
        this_category = q.get("category") or category
        if this_category != current_category:
            lines += [
                '  <question type="category">',
                f"    <category><text>{html.escape('$course$/top/' + this_category)}</text></category>",
                "  </question>",
            ]
            current_category = this_category
        lines += _moodle_question(q)
    lines.append("</quiz>")
    return "\n".join(lines) + "\n"


def _moodle_question(q: dict[str, Any]) -> list[str]:
    kind = {"single_choice": "multichoice", "multiple_choice": "multichoice", "true_false": "truefalse"}.get(
        q["type"], q["type"]
    )
    out = [
        f'  <question type="{kind}">',
        f"    <name><text>{html.escape(q['id'])}</text></name>",
        f'    <questiontext format="html"><text>{_html_text(q["prompt"])}</text></questiontext>',
        f'    <generalfeedback format="html"><text>{_html_text(q["feedback"])}</text></generalfeedback>',
        "    <defaultgrade>1</defaultgrade>",
        "    <penalty>0</penalty>",
        "    <hidden>0</hidden>",
        f"    <idnumber>{html.escape(q['id'])}</idnumber>",
    ]
    options = q.get("options") or []
    if q["type"] in ("single_choice", "multiple_choice"):
        right = {q["answer"]} if q["type"] == "single_choice" else set(q["answer"])
        wrong_count = len(options) - len(right)
        out += [
            f"    <single>{'true' if q['type'] == 'single_choice' else 'false'}</single>",
            "    <shuffleanswers>true</shuffleanswers>",
            "    <answernumbering>abc</answernumbering>",
        ]
        for option in options:
            if option["id"] in right:
                fraction = _weights(len(right))
            elif q["type"] == "multiple_choice":
                fraction = "-" + _weights(wrong_count)
            else:
                fraction = "0"
            out += [
                f'    <answer fraction="{fraction}" format="html">',
                f"      <text>{_html_text(option['text'])}</text>",
                f'      <feedback format="html"><text>{_html_text(option.get("feedback") or "")}</text></feedback>',
                "    </answer>",
            ]
    elif q["type"] == "true_false":
        for value in (True, False):
            out += [
                f'    <answer fraction="{100 if q["answer"] is value else 0}" format="moodle_auto_format">',
                f"      <text>{'true' if value else 'false'}</text>",
                '      <feedback format="html"><text></text></feedback>',
                "    </answer>",
            ]
    elif q["type"] == "matching":
        texts = {option["id"]: option["text"] for option in options}
        out.append("    <shuffleanswers>true</shuffleanswers>")
        for item in q.get("items") or []:
            out += [
                '    <subquestion format="html">',
                f"      <text>{_html_text(item['text'])}</text>",
                f"      <answer><text>{html.escape(texts[q['answer'][item['id']]])}</text></answer>",
                "    </subquestion>",
            ]
        for option_id in [o["id"] for o in options if o["id"] not in set(q["answer"].values())]:
            out += [
                '    <subquestion format="html">',
                "      <text></text>",
                f"      <answer><text>{html.escape(texts[option_id])}</text></answer>",
                "    </subquestion>",
            ]
    elif q["type"] == "ordering":
        texts = {option["id"]: option["text"] for option in options}
        out += [
            "    <layouttype>VERTICAL</layouttype>",
            "    <selecttype>ALL</selecttype>",
            "    <selectcount>0</selectcount>",
            "    <gradingtype>ABSOLUTE_POSITION</gradingtype>",
            "    <showgrading>SHOW</showgrading>",
            "    <numberingstyle>123</numberingstyle>",
        ]
        for position, option_id in enumerate(q["answer"], start=1):
            out += [
                f'    <answer fraction="{position}" format="html">',
                f"      <text>{_html_text(texts[option_id])}</text>",
                "    </answer>",
            ]
    tags = [f"kind:{q.get('kind') or 'recall'}", f"page:{q.get('page') or ''}", f"source:{q.get('source') or ''}"]
    out.append("    <tags>" + "".join(f"<tag><text>{html.escape(tag)}</text></tag>" for tag in tags) + "</tags>")
    out.append("  </question>")
    return out


def question_as_dict(question) -> dict[str, Any]:
    if isinstance(question, dict):
        return question
    return {
        "id": question.id,
        "type": question.type,
        "kind": question.kind,
        "prompt": question.prompt,
        "options": [dict(option) for option in question.options],
        "items": [dict(item) for item in question.items],
        "answer": question.answer,
        "feedback": question.feedback,
        "source": question.source,
        "page": question.page,
    }


# ---- Moodle XML import --------------------------------------------------------------------------

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _check_size(data: bytes) -> None:
    if len(data) > MAX_FILE_BYTES:
        raise BankError([f"The file must be {MAX_FILE_BYTES // 1024} KB or smaller"])
    if not data.strip():
        raise BankError(["The file is empty"])


def read_moodle_xml(data: bytes) -> ImportPreview:
    """What a Moodle XML file would add. Raises BankError if the file cannot be read at all."""
    _check_size(data)
    try:
        root = safe_xml.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as refused:
        raise BankError([f"The file uses XML features that are not allowed ({type(refused).__name__})"]) from None
    except safe_xml.ParseError as error:
        raise BankError([f"The file is not valid XML: {error}"]) from None
    if root.tag != "quiz":
        raise BankError(["The file is not a Moodle XML question file: it must start with <quiz>"])
    preview = ImportPreview()
    category = None
    elements = root.findall("question")
    if sum(1 for element in elements if element.get("type") != "category") > MAX_QUESTIONS:
        raise BankError([f"The file has more than {MAX_QUESTIONS} questions: split it into smaller files"])
    for number, element in enumerate(elements, start=1):
        kind = element.get("type") or "(no type)"
        if kind == "category":
            category = _text_of(element.find("category")).removeprefix("$course$/").removeprefix("top/") or None
            continue
        name = _text_of(element.find("name")) or f"Question {number}"
        if kind not in SUPPORTED_MOODLE_TYPES:
            preview.skipped.append((name, kind))
            continue
        try:
            question = _moodle_to_question(element, kind, preview)
        except BankError as error:
            preview.problems += [f"{name}: {problem}" for problem in error.problems]
            continue
        question["name"] = name
        if category:
            question["category"] = category
        _add_checked(preview, name, question)
    return preview


def _add_checked(preview: ImportPreview, name: str, question: dict[str, Any]) -> None:
    """Add the question if SEND Ready's own rules for its type accept it; else name what is wrong."""
    problems = [message for _field, message in QUESTION_TYPES[question["type"]].validate(question)]
    if problems:
        preview.problems += [f"{name}: {problem}" for problem in problems]
    else:
        preview.questions.append(question)


def _tags(element: Element) -> dict[str, str]:
    tags = {}
    for tag in element.findall("tags/tag"):
        text = _text_of(tag)
        if ":" in text:
            key, value = text.split(":", 1)
            tags[key] = value
    return tags


def _fraction_of(answer: Element) -> float:
    try:
        return float(answer.get("fraction", "0"))
    except ValueError:
        raise BankError([f"the answer fraction {answer.get('fraction')!r} is not a number"]) from None


def _moodle_to_question(element: Element, kind: str, preview: ImportPreview) -> dict[str, Any]:
    prompt = _text_of(element.find("questiontext"))
    if not prompt:
        raise BankError(["the question has no text"])
    tags = _tags(element)
    question: dict[str, Any] = {
        "prompt": prompt,
        "feedback": _text_of(element.find("generalfeedback")) or "See the module's pages.",
        "kind": tags.get("kind") if tags.get("kind") in ("scenario", "recall") else "recall",
        "page": tags.get("page") or "page-1",
        "options": [],
        "items": [],
    }
    if kind == "multichoice":
        answers = element.findall("answer")
        single = (element.findtext("single") or "true").strip().lower() in ("true", "1")
        options, right, weights = [], [], []
        for index, answer in enumerate(answers):
            text = _text_of(answer)
            if not text:
                raise BankError([f"answer {index + 1} is empty"])
            fraction = _fraction_of(answer)
            feedback = _text_of(answer.find("feedback"))
            if not feedback:
                preview.options_without_feedback += 1
                feedback = RIGHT_OPTION if fraction > 0 else WRONG_OPTION
            option_id = _LETTERS[index] if index < len(_LETTERS) else f"o{index}"
            options.append({"id": option_id, "text": text, "feedback": feedback})
            if fraction > 0:
                right.append(option_id)
                weights.append(fraction)
        if single:
            if len(right) != 1 or abs(weights[0] - 100) > 0.01:
                raise BankError(
                    ["a single-answer question needs exactly one answer worth 100%: partial marks are not supported"]
                )
            question.update(type="single_choice", answer=right[0])
        else:
            if not right or abs(sum(weights) - 100) > 0.1:
                raise BankError([f"the right answers' fractions add up to {sum(weights):g}%, not 100%"])
            question.update(type="multiple_choice", answer=right)
        question["options"] = options
    elif kind == "truefalse":
        right = [_text_of(a).lower() for a in element.findall("answer") if _fraction_of(a) > 0]
        if right not in (["true"], ["false"]):
            raise BankError(["a true or false question needs exactly one of true and false worth 100%"])
        question.update(type="true_false", answer=right[0] == "true")
    elif kind == "matching":
        options: list[dict[str, str]] = []
        ids: dict[str, str] = {}
        items, answer = [], {}
        for index, sub in enumerate(element.findall("subquestion")):
            item_text = _text_of(sub)
            match = _text_of(sub.find("answer"))
            if not match:
                raise BankError([f"pair {index + 1} has an empty answer"])
            if match not in ids:
                ids[match] = _LETTERS[len(ids)] if len(ids) < len(_LETTERS) else f"o{len(ids)}"
                options.append({"id": ids[match], "text": match})
            if item_text:
                item_id = f"i{len(items) + 1}"
                items.append({"id": item_id, "text": item_text})
                answer[item_id] = ids[match]
        question.update(type="matching", options=options, items=items, answer=answer)
    elif kind == "ordering":
        steps = []
        for index, answer in enumerate(element.findall("answer")):
            text = _text_of(answer)
            if not text:
                raise BankError([f"step {index + 1} is empty"])
            steps.append((_fraction_of(answer), index, text))
        steps.sort()
        options = [
            {"id": _LETTERS[i] if i < len(_LETTERS) else f"o{i}", "text": text} for i, (_, _, text) in enumerate(steps)
        ]
        question.update(type="ordering", options=options, answer=[option["id"] for option in options])
    source = tags.get("source")
    if source:
        question["source"] = source
    return question


# ---- GIFT ---------------------------------------------------------------------------------------

_GIFT_SPECIAL = re.compile(r"([~=#{}:\\])")


def _gift_escape(text: str) -> str:
    return _GIFT_SPECIAL.sub(r"\\\1", text).replace("\n", " ")


def to_gift(questions, *, category: str) -> str:
    out, left_out = [], []
    current_category = None
    for question in questions:
        q = question_as_dict(question)
        if q["type"] == "ordering":
            left_out.append(q["id"])
            continue
        this_category = q.get("category") or category
        if this_category != current_category:
            out.append(f"$CATEGORY: $course$/top/{this_category}\n")
            current_category = this_category
        tags = f"// kind:{q.get('kind') or 'recall'} page:{q.get('page') or ''} source:{q.get('source') or ''}"
        head = f"{tags}\n::{_gift_escape(q['id'])}::{_gift_escape(q['prompt'])} {{"
        general = f"\n\t####{_gift_escape(q['feedback'])}\n}}\n"
        options = q.get("options") or []
        if q["type"] == "single_choice":
            body = "".join(
                f"\n\t{'=' if o['id'] == q['answer'] else '~'}"
                f"{_gift_escape(o['text'])}#{_gift_escape(o.get('feedback') or '')}"
                for o in options
            )
        elif q["type"] == "multiple_choice":
            right = set(q["answer"])
            wrong = len(options) - len(right)
            body = "".join(
                f"\n\t~%{_weights(len(right)) if o['id'] in right else '-' + _weights(wrong)}%"
                f"{_gift_escape(o['text'])}#{_gift_escape(o.get('feedback') or '')}"
                for o in options
            )
        elif q["type"] == "true_false":
            body = "TRUE" if q["answer"] else "FALSE"
            out.append(f"{head}{body}{general}")
            continue
        else:  # matching
            texts = {o["id"]: o["text"] for o in options}
            body = "".join(
                f"\n\t={_gift_escape(item['text'])} -> {_gift_escape(texts[q['answer'][item['id']]])}"
                for item in q.get("items") or []
            )
        out.append(f"{head}{body}{general}")
    preface = ""
    if left_out:
        preface = "// GIFT has no ordering questions; left out: " + ", ".join(left_out) + "\n\n"
    return preface + "\n".join(out)


def _split_unescaped(text: str, separators: str) -> list[tuple[str, str]]:
    """Split at unescaped separator characters: [(separator before, part)]."""
    parts, current, before, index = [], [], "", 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            current.append(text[index : index + 2])
            index += 2
            continue
        if char in separators:
            parts.append((before, "".join(current)))
            before, current = char, []
        else:
            current.append(char)
        index += 1
    parts.append((before, "".join(current)))
    return parts


def _gift_unescape(text: str) -> str:
    return re.sub(r"\\([~=#{}:\\n])", lambda m: "\n" if m.group(1) == "n" else m.group(1), text).strip()


def _find_unescaped(text: str, char: str, start: int = 0) -> int:
    index = start
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] == char:
            return index
        index += 1
    return -1


def read_gift(data: bytes) -> ImportPreview:
    _check_size(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BankError(["The file must be UTF-8 text"]) from None
    preview = ImportPreview()
    category = None
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n"))
    count = 0
    for block in blocks:
        tags: dict[str, str] = {}
        lines = []
        for line in block.split("\n"):
            stripped = line.strip()
            if stripped.startswith("//"):
                for key, value in re.findall(r"(kind|page|source):(\S*)", stripped):
                    tags[key] = value
                continue
            if stripped.startswith("$CATEGORY:"):
                category = stripped.removeprefix("$CATEGORY:").strip().removeprefix("$course$/").removeprefix("top/")
                continue
            lines.append(line)
        body = "\n".join(lines).strip()
        if not body:
            continue
        count += 1
        if count > MAX_QUESTIONS:
            raise BankError([f"The file has more than {MAX_QUESTIONS} questions: split it into smaller files"])
        name = f"Question {count}"
        if body.startswith("::"):
            end = body.find("::", 2)
            if end > 0:
                name, body = _gift_unescape(body[2:end]), body[end + 2 :].strip()
        open_at = _find_unescaped(body, "{")
        close_at = _find_unescaped(body, "}", open_at + 1) if open_at >= 0 else -1
        if open_at < 0 or close_at < 0:
            preview.skipped.append((name, "description (no answers)"))
            continue
        prompt_raw = body[:open_at] + body[close_at + 1 :]
        prompt_raw = re.sub(r"^\[(html|moodle|plain|markdown)\]", "", prompt_raw.strip())
        answers = body[open_at + 1 : close_at].strip()
        try:
            question = _gift_to_question(html_to_text(_gift_unescape(prompt_raw)), answers, preview)
        except BankError as error:
            preview.problems += [f"{name}: {problem}" for problem in error.problems]
            continue
        if question is None:
            kind = "essay" if not answers else ("numerical" if answers.startswith("#") else "short answer")
            preview.skipped.append((name, kind))
            continue
        question["name"] = name
        question["kind"] = tags.get("kind") if tags.get("kind") in ("scenario", "recall") else "recall"
        question["page"] = tags.get("page") or "page-1"
        if tags.get("source"):
            question["source"] = tags["source"]
        if category:
            question["category"] = category
        _add_checked(preview, name, question)
    return preview


def _gift_to_question(prompt: str, answers: str, preview: ImportPreview) -> dict[str, Any] | None:
    if not prompt:
        raise BankError(["the question has no text"])
    general = ""
    general_at = answers.find("####")
    if general_at >= 0:
        general = html_to_text(_gift_unescape(answers[general_at + 4 :]))
        answers = answers[:general_at].strip()
    question: dict[str, Any] = {"prompt": prompt, "feedback": general or "See the module's pages.", "items": []}
    true_false = re.fullmatch(r"(T|F|TRUE|FALSE)(#.*)?", answers.strip(), flags=re.S)
    if true_false:
        question.update(type="true_false", options=[], answer=true_false.group(1).startswith("T"))
        return question
    if not answers or answers.startswith("#"):
        return None  # an essay or a numerical question
    parts = [(sep, part) for sep, part in _split_unescaped(answers, "=~") if sep]
    if not parts:
        raise BankError(["the answers cannot be read"])
    if any("->" in part for sep, part in parts if sep == "="):
        options, ids, items, answer = [], {}, [], {}
        for sep, part in parts:
            if sep != "=" or "->" not in part:
                raise BankError(["every pair of a matching question is written =item -> match"])
            left, right = (_gift_unescape(side) for side in part.split("->", 1))
            if not right:
                raise BankError(["a pair has an empty answer"])
            if right not in ids:
                ids[right] = _LETTERS[len(ids)] if len(ids) < len(_LETTERS) else f"o{len(ids)}"
                options.append({"id": ids[right], "text": html_to_text(right)})
            if left:
                item_id = f"i{len(items) + 1}"
                items.append({"id": item_id, "text": html_to_text(left)})
                answer[item_id] = ids[right]
        question.update(type="matching", options=options, items=items, answer=answer)
        return question
    options, right, weights, weighted = [], [], [], False
    for index, (sep, part) in enumerate(parts):
        pieces = [piece for _, piece in _split_unescaped(part, "#")]
        text_raw, feedback_raw = pieces[0], (pieces[1] if len(pieces) > 1 else "")
        weight = 100.0 if sep == "=" else 0.0
        match = re.match(r"\s*%(-?[\d.]+)%", text_raw)
        if match:
            weighted = True
            weight = float(match.group(1))
            text_raw = text_raw[match.end() :]
        text = html_to_text(_gift_unescape(text_raw))
        if not text:
            raise BankError([f"answer {index + 1} is empty"])
        if len(parts) == 1 and sep == "=":
            return None  # one right answer to type: a short-answer question
        feedback = html_to_text(_gift_unescape(feedback_raw))
        if not feedback:
            preview.options_without_feedback += 1
            feedback = RIGHT_OPTION if weight > 0 else WRONG_OPTION
        option_id = _LETTERS[index] if index < len(_LETTERS) else f"o{index}"
        options.append({"id": option_id, "text": text, "feedback": feedback})
        if weight > 0:
            right.append(option_id)
            weights.append(weight)
    question["options"] = options
    if weighted and (len(right) > 1 or (right and abs(weights[0] - 100) > 0.01)):
        if abs(sum(weights) - 100) > 0.1:
            raise BankError([f"the right answers' weights add up to {sum(weights):g}%, not 100%"])
        question.update(type="multiple_choice", answer=right)
        return question
    if len(right) != 1:
        raise BankError(["a multiple choice question needs exactly one right answer, or weights that add up to 100%"])
    question.update(type="single_choice", answer=right[0])
    return question
