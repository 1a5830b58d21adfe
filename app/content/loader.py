"""Load the content files, validate them, and build the catalogue.

Every problem names the file, the field and what is wrong. All problems are collected before
anything is raised, so that one run of `flask content check` lists everything to fix.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import hmac
import os
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from marshmallow import Schema, ValidationError

from app.content import schemas
from app.content.markdown import render_markdown
from app.content.model import (
    Catalogue,
    ChangeNote,
    Document,
    GlossaryTerm,
    KeyQuestion,
    KeyQuestionSet,
    Module,
    Page,
    Pathway,
    Question,
    Quiz,
    Section,
    smallest_bank_for,
)
from app.content.question_types import QUESTION_TYPES

# libyaml's safe loader when it is there: start-up reads every content file.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _twelve_months_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


class ContentError(Exception):
    """The content is broken. `problems` lists each one as 'file: field: what is wrong'."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the content:\n" + "\n".join(f"- {p}" for p in problems))


def _flatten(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    """marshmallow's nested error dict as (dotted.field, message) pairs."""
    if isinstance(messages, dict):
        flat = []
        for key, value in messages.items():
            field = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                field = prefix or "(file)"
            flat.extend(_flatten(value, field))
        return flat
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [(prefix or "(file)", message) for message in messages]
    if isinstance(messages, list):
        return [pair for item in messages for pair in _flatten(item, prefix)]
    return [(prefix or "(file)", str(messages))]


class _Loader:
    def __init__(self, root: Path):
        self.root = root
        self.problems: list[str] = []
        # Modules whose module.yaml is there but broken: already reported, so what refers to them
        # is not reported again as referring to nothing.
        self.broken_modules: set[str] = set()

    def problem(self, path: Path, field: str, message: str) -> None:
        self.problems.append(f"{path.relative_to(self.root)}: {field}: {message}")

    def read(self, path: Path, schema: Schema) -> dict | None:
        if not path.is_file():
            self.problem(path, "(file)", "the file is missing")
            return None
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506 (a safe loader)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
            self.problem(path, where, f"not valid YAML: {getattr(error, 'problem', None) or error}")
            return None
        if not isinstance(data, dict):
            self.problem(path, "(file)", "expected a mapping of fields at the top of the file")
            return None
        try:
            return schema.load(data)
        except ValidationError as error:
            for field, message in _flatten(error.messages):
                self.problem(path, field, message)
            return None

    def load(self) -> Catalogue:
        modules_dir = self.root / "modules"
        quizzes_dir = self.root / "quizzes"
        documents = self.load_sources(modules_dir / "sources.yaml")
        sections = {f"{d.id}#{s.id}": s for d in documents.values() for s in d.sections}
        key_sets = self.load_key_questions(modules_dir / "key-questions.yaml", sections)
        key_questions = {q.id: q for s in key_sets.values() for q in s.questions}
        modules = self.load_modules(modules_dir, sections, key_questions)
        quizzes = self.load_quizzes(quizzes_dir, sections, modules)
        pathways = self.load_pathways(modules_dir / "pathways.yaml", modules)
        glossary = self.load_glossary(modules_dir / "glossary.yaml", sections)
        changes = self.load_changes(modules_dir / "changes.yaml", sections, modules)
        self.check_coverage(documents, sections, key_questions, modules)
        if self.problems:
            raise ContentError(self.problems)
        return Catalogue(
            documents, key_sets, _with_change_notes(modules, changes), quizzes, pathways, glossary, changes
        )

    def load_sources(self, path: Path) -> dict[str, Document]:
        data = self.read(path, schemas.SourcesSchema())
        if data is None:
            return {}
        documents = {}
        for number, raw in enumerate(data["documents"]):
            if raw["id"] in documents:
                self.problem(path, f"documents.{number}.id", f"duplicate document id {raw['id']!r}")
            ids = Counter(section["id"] for section in raw["sections"])
            for duplicate in [i for i, count in ids.items() if count > 1]:
                self.problem(path, f"documents.{number}.sections", f"duplicate section id {duplicate!r}")
            sections = tuple(
                Section(raw["id"], s["id"], s["heading"], s["covers"], s["key_questions"]) for s in raw["sections"]
            )
            if raw["kind"] != "guidance":
                for index, section in enumerate(raw["sections"]):
                    if section["key_questions"] is not None:
                        self.problem(
                            path,
                            f"documents.{number}.sections.{index}.key_questions",
                            "key questions come from the guidance documents, not from a reference",
                        )
            documents[raw["id"]] = Document(
                raw["id"],
                raw["title"],
                raw["publisher"],
                raw["last_updated"],
                sections,
                kind=raw["kind"],
                edition=raw["edition"],
                url=raw["url"],
            )
        return documents

    def cite(self, path: Path, field: str, ref: str, sections: dict) -> None:
        if sections and ref not in sections:
            self.problem(path, field, f"cites {ref!r}, which is not a section in modules/sources.yaml")

    def load_key_questions(self, path: Path, sections: dict) -> dict[str, KeyQuestionSet]:
        data = self.read(path, schemas.KeyQuestionsSchema())
        if data is None:
            return {}
        sets: dict[str, KeyQuestionSet] = {}
        seen: set[str] = set()
        for set_number, raw_set in enumerate(data["sets"]):
            if raw_set["id"] in sets:
                self.problem(path, f"sets.{set_number}.id", f"duplicate set id {raw_set['id']!r}")
            self.cite(path, f"sets.{set_number}.source", raw_set["source"], sections)
            questions = []
            for number, raw in enumerate(raw_set["questions"]):
                field = f"sets.{set_number}.questions.{number}"
                if raw["id"] in seen:
                    self.problem(path, f"{field}.id", f"duplicate key question id {raw['id']!r}")
                seen.add(raw["id"])
                self.cite(path, f"{field}.source", raw["source"], sections)
                questions.append(KeyQuestion(raw["id"], raw_set["id"], raw["text"], raw["source"], raw["levels"]))
            sets[raw_set["id"]] = KeyQuestionSet(raw_set["id"], raw_set["title"], raw_set["source"], tuple(questions))
        return sets

    def load_modules(self, modules_dir: Path, sections: dict, key_questions: dict) -> dict[str, Module]:
        modules: dict[str, Module] = {}
        for folder in sorted(p for p in modules_dir.iterdir() if p.is_dir()):
            path = folder / "module.yaml"
            data = self.read(path, schemas.ModuleSchema())
            if data is None:
                self.broken_modules.add(folder.name)
                continue
            if data["id"] != folder.name:
                self.problem(path, "id", f"the id {data['id']!r} must match the folder name {folder.name!r}")
            if data["id"] in modules:
                self.problem(path, "id", f"duplicate module id {data['id']!r}")
            for number, key_question in enumerate(data["key_questions"]):
                if key_questions and key_question not in key_questions:
                    self.problem(
                        path,
                        f"key_questions.{number}",
                        f"{key_question!r} is not in modules/key-questions.yaml",
                    )
            self.check_review_dates(path, data["reviewed_on"], data["review_by"])
            digest = hashlib.sha256(path.read_bytes())
            pages = []
            slugs = Counter(page["slug"] for page in data["pages"])
            for duplicate in [slug for slug, count in slugs.items() if count > 1]:
                self.problem(path, "pages", f"duplicate page slug {duplicate!r}")
            for number, raw in enumerate(data["pages"], start=1):
                for index, ref in enumerate(raw["sources"]):
                    self.cite(path, f"pages.{number - 1}.sources.{index}", ref, sections)
                page_path = folder / raw["file"]
                if not page_path.is_file():
                    self.problem(path, f"pages.{number - 1}.file", f"{raw['file']} is not in {folder.name}/")
                    continue
                text = page_path.read_bytes()
                digest.update(raw["file"].encode() + b"\0" + text)
                html = render_markdown(text.decode("utf-8"))
                pages.append(Page(raw["slug"], raw["title"], html, tuple(raw["sources"]), number))
            modules[data["id"]] = Module(
                id=data["id"],
                title=data["title"],
                short_title=data["short_title"],
                summary=data["summary"],
                audience=tuple(data["audience"]),
                minutes=data["minutes"],
                outcomes=tuple(data["outcomes"]),
                key_question_ids=tuple(data["key_questions"]),
                pages=tuple(pages),
                version=digest.hexdigest()[:16],
                reviewed_on=data["reviewed_on"],
                review_by=data["review_by"],
            )
        return modules

    def check_review_dates(self, path: Path, reviewed_on: date, review_by: date) -> None:
        """A module is checked again at most twelve months after its last review."""
        if review_by <= reviewed_on:
            self.problem(path, "review_by", f"{review_by} must be after reviewed_on ({reviewed_on})")
        elif review_by > _twelve_months_after(reviewed_on):
            self.problem(
                path,
                "review_by",
                f"{review_by} is more than 12 months after reviewed_on ({reviewed_on}): "
                f"review by {_twelve_months_after(reviewed_on)} at the latest",
            )

    def load_quizzes(self, quizzes_dir: Path, sections: dict, modules: dict[str, Module]) -> dict[str, Quiz]:
        quizzes: dict[str, Quiz] = {}
        question_ids: dict[str, Path] = {}
        for path in sorted(quizzes_dir.glob("*.yaml")):
            data = self.read(path, schemas.QuizSchema())
            if data is None:
                continue
            module = modules.get(data["module"])
            if module is None:
                if data["module"] not in self.broken_modules:
                    self.problem(path, "module", f"there is no module {data['module']!r}")
            elif path.stem != module.id:
                self.problem(path, "module", f"the quiz for {module.id!r} belongs in quizzes/{module.id}.yaml")
            if data["module"] in quizzes:
                self.problem(path, "module", f"a second quiz for {data['module']!r}")
            if len(data["questions"]) < smallest_bank_for(data["draw"]):
                self.problem(
                    path,
                    "draw",
                    f"draws {data['draw']} questions from a bank of {len(data['questions'])}: a retake after a "
                    f"failure shares at most half its questions with the failed attempt, so the bank needs at "
                    f"least {smallest_bank_for(data['draw'])}",
                )
            questions = []
            for number, raw in enumerate(data["questions"]):
                field = f"questions.{number}"
                if raw["id"] in question_ids:
                    other = question_ids[raw["id"]].relative_to(self.root)
                    self.problem(path, f"{field}.id", f"duplicate question id {raw['id']!r} (also in {other})")
                question_ids[raw["id"]] = path
                self.cite(path, f"{field}.source", raw["source"], sections)
                if module is not None and module.page(raw["page"]) is None:
                    self.problem(path, f"{field}.page", f"{raw['page']!r} is not a page of {module.id!r}")
                for sub_field, message in QUESTION_TYPES[raw["type"]].validate(raw):
                    self.problem(path, f"{field}.{sub_field}", message)
                questions.append(
                    Question(
                        id=raw["id"],
                        module_id=data["module"],
                        type=raw["type"],
                        prompt=raw["prompt"],
                        options=tuple(raw["options"]),
                        items=tuple(raw["items"]),
                        answer=raw["answer"],
                        feedback=raw["feedback"],
                        source=raw["source"],
                        page=raw["page"],
                        kind=raw["kind"],
                    )
                )
            version = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
            quizzes[data["module"]] = Quiz(data["module"], data["pass_mark"], data["draw"], tuple(questions), version)
        return quizzes

    def load_pathways(self, path: Path, modules: dict[str, Module]) -> dict[str, Pathway]:
        data = self.read(path, schemas.PathwaysSchema())
        if data is None:
            return {}
        pathways: dict[str, Pathway] = {}
        for number, raw in enumerate(data["pathways"]):
            if raw["role"] in pathways:
                self.problem(path, f"pathways.{number}.role", f"a second pathway for {raw['role']!r}")
            for kind in ("required", "optional"):
                for index, module_id in enumerate(raw[kind]):
                    if modules and module_id not in modules and module_id not in self.broken_modules:
                        self.problem(path, f"pathways.{number}.{kind}.{index}", f"there is no module {module_id!r}")
            both = set(raw["required"]) & set(raw["optional"])
            if both:
                self.problem(path, f"pathways.{number}", f"{sorted(both)} are both required and optional")
            pathways[raw["role"]] = Pathway(
                raw["role"],
                raw["title"],
                tuple(raw["required"]),
                tuple(raw["optional"]),
                raw["new_starter_window_days"],
                raw["renew_every_months"],
            )
        return pathways

    def load_glossary(self, path: Path, sections: dict) -> tuple[GlossaryTerm, ...]:
        data = self.read(path, schemas.GlossarySchema())
        if data is None:
            return ()
        for number, raw in enumerate(data["terms"]):
            if raw["source"]:
                self.cite(path, f"terms.{number}.source", raw["source"], sections)
        terms = [GlossaryTerm(raw["term"], raw["meaning"], raw["source"]) for raw in data["terms"]]
        return tuple(sorted(terms, key=lambda term: term.term.lower()))

    def load_changes(self, path: Path, sections: dict, modules: dict[str, Module]) -> tuple[ChangeNote, ...]:
        data = self.read(path, schemas.ChangesSchema())
        if data is None:
            return ()
        changes: list[ChangeNote] = []
        ids: set[str] = set()
        for number, raw in enumerate(data["changes"]):
            field = f"changes.{number}"
            if raw["id"] in ids:
                self.problem(path, f"{field}.id", f"duplicate change id {raw['id']!r}")
            ids.add(raw["id"])
            for index, module_id in enumerate(raw["modules"]):
                if modules and module_id not in modules and module_id not in self.broken_modules:
                    self.problem(path, f"{field}.modules.{index}", f"there is no module {module_id!r}")
            for index, ref in enumerate(raw["sources"]):
                self.cite(path, f"{field}.sources.{index}", ref, sections)
            changes.append(
                ChangeNote(
                    id=raw["id"],
                    date=raw["date"],
                    recorded_on=raw["recorded_on"],
                    title=raw["title"],
                    summary=raw["summary"],
                    module_ids=tuple(raw["modules"]),
                    sources=tuple(raw["sources"]),
                )
            )
        return tuple(sorted(changes, key=lambda change: (change.recorded_on, change.date, change.id), reverse=True))

    def check_coverage(
        self, documents: dict[str, Document], sections: dict, key_questions: dict, modules: dict[str, Module]
    ) -> None:
        """Every guidance section is taught somewhere, and every key question the guidance asks is here and
        paired. A reference's sections are cited where a fact needs them, so none has to be."""
        if not sections or not modules or self.broken_modules:
            return  # a broken module may be the one that cites a section
        sources = self.root / "modules" / "sources.yaml"
        cited = {ref for module in modules.values() for page in module.pages for ref in page.sources}
        spine = {ref for ref, section in sections.items() if documents[section.document_id].is_guidance}
        for ref in sorted(spine - cited):
            self.problem(sources, ref, "no module page cites this section")
        for ref, section in sections.items():
            if section.key_question_count is None:
                continue
            found = [q for q in key_questions.values() if q.source == ref]
            if len(found) != section.key_question_count:
                self.problem(
                    self.root / "modules" / "key-questions.yaml",
                    ref,
                    f"the guidance asks {section.key_question_count} key questions here; {len(found)} are present",
                )
        paired = {kq for module in modules.values() for kq in module.key_question_ids}
        for key_question in sorted(set(key_questions) - paired):
            self.problem(
                self.root / "modules" / "key-questions.yaml",
                key_question,
                "no module pairs with this key question",
            )


def _with_change_notes(modules: dict[str, Module], changes: tuple[ChangeNote, ...]) -> dict[str, Module]:
    """A change note is part of each module it names: recording one makes those modules a new version,
    so that everyone who completed them is told what changed."""
    result = {}
    for module_id, module in modules.items():
        notes = [change for change in changes if module_id in change.module_ids]
        if not notes:
            result[module_id] = module
            continue
        digest = hashlib.sha256(module.version.encode())
        for note in sorted(notes, key=lambda change: change.id):
            digest.update(repr(dataclasses.astuple(note)).encode())
        result[module_id] = dataclasses.replace(module, version=digest.hexdigest()[:16])
    return result


def load_catalogue(root: Path) -> Catalogue:
    """Read modules/ and quizzes/ under `root`; raise ContentError listing every problem."""
    return _Loader(Path(root)).load()


def _content_fingerprint(root: Path) -> str:
    """A hash of every content file and of the code that turns them into a catalogue: any change to
    either gives a new fingerprint."""
    digest = hashlib.sha256()
    code = Path(__file__).resolve().parent
    files = sorted((root / "modules").rglob("*")) + sorted((root / "quizzes").rglob("*")) + sorted(code.glob("*.py"))
    for path in files:
        if path.is_file():
            digest.update(str(path.relative_to(path.anchor)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def load_catalogue_kept(root: Path, keep_in: Path, secret: bytes) -> Catalogue:
    """The catalogue, kept after a successful load under `keep_in` (the app's instance folder), so that
    the next start (every flask command, every worker) skips parsing about fifty files when nothing has
    changed: about a second saved. Only a catalogue that passed every check is kept, so a broken file
    still stops start-up.

    The kept file is a pickle, and unpickling runs code, so it carries an HMAC made with the app's
    `secret` (its SECRET_KEY, from the environment in production): a file someone else wrote or
    changed in that folder fails the check and is never unpickled; the files are parsed instead.
    """
    import pickle

    root = Path(root)
    fingerprint = _content_fingerprint(root)
    kept = Path(keep_in) / f"catalogue-{fingerprint[:32]}.pickle"
    if kept.is_file():
        kept_bytes = kept.read_bytes()
        seal, body = kept_bytes[:32], kept_bytes[32:]
        if hmac.compare_digest(seal, hmac.new(secret, body, hashlib.sha256).digest()):
            with contextlib.suppress(Exception):  # an outdated pickle: load afresh and keep it again
                return pickle.loads(body)  # noqa: S301 (sealed with the app's secret key above)
        kept.unlink(missing_ok=True)
    catalogue = load_catalogue(root)
    try:
        Path(keep_in).mkdir(parents=True, exist_ok=True)
        for old in Path(keep_in).glob("catalogue-*.pickle"):
            old.unlink(missing_ok=True)
        body = pickle.dumps(catalogue, protocol=pickle.HIGHEST_PROTOCOL)
        partial = kept.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(hmac.new(secret, body, hashlib.sha256).digest() + body)
        partial.replace(kept)  # atomic: a process starting meanwhile reads the old file or none
    except OSError:
        pass  # a read-only folder: start-up just parses the files each time
    return catalogue
