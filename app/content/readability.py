"""How plainly the module pages read: the mean sentence length, and acronyms left unexpanded.

The readers are busy adults on a phone, so pages keep sentences short (a mean under 15 words) and
expand every acronym the first time it appears on each page, as "special educational needs (SEN)".

Rules, kept simple so that an author can predict them:
- Text is read from the rendered page. Sentences are counted in paragraphs, list items, table cells
  and quotations; a heading is not a sentence. A list item or cell without a full stop is one
  sentence. A sentence ends at ".", "!" or "?" followed by a space and anything but a lowercase letter.
- An acronym is a word with two or more capital letters (SEN, SENCo, DfE, KS2, EHCPs). Plurals and the
  "SENCo" spelling count as the acronym itself (EHCPs is EHCP, SENCo is SENCO).
- An acronym is expanded if its first appearance in the page's text is in brackets just after the words
  it stands for: "education, health and care (EHC) plan". The words must give its
  letters in order: each word gives its first letter, or all its letters if it is an acronym itself
  ("SEND Information, Advice and Support Service (SENDIASS)"); small words such as "and" or "of" may
  be skipped; a hyphen starts a new word ("co-ordinator" gives C and O); up to two words may come
  between the expansion and the bracket ("the NPQ for SENCOs" in "National Professional Qualification
  (NPQ) for SENCOs" is the other way round and also fine).
- Headings are short labels for the text under them, so an acronym in a heading is expanded by the
  text (its first use there); an acronym only ever in headings is unexpanded.
- EVERYDAY_ACRONYMS need no expansion: ones an adult in England reads without a second thought.
  Role names used in schools (TA, SENCO, HLTA) are not among them: a parent or a new governor may not
  know them, and expanding them once a page costs a few words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

# Read by everyone without a second thought; kept short on purpose.
EVERYDAY_ACRONYMS = frozenset({"UK", "NHS", "GP", "PE", "GCSE", "TV", "ID"})

# Words an expansion may skip: "English as an additional language (EAL)".
SMALL_WORDS = frozenset({"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "the", "to", "with"})

_SENTENCE_BLOCKS = {"p", "li", "td", "th", "blockquote"}
_TEXT_BLOCKS = _SENTENCE_BLOCKS | {"h1", "h2", "h3", "h4", "h5", "h6"}
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)]*\s+(?![a-z])")
_WORD = re.compile(r"[A-Za-z0-9£][\w'\u2019£%.,-]*")
_ACRONYM = re.compile(r"(?<![A-Za-z0-9])(?=(?:[a-z0-9]*[A-Z]){2})[A-Za-z0-9]+(?![A-Za-z0-9])")
_CAPITALS = re.compile(r"[A-Z]")


@dataclass(frozen=True)
class Block:
    tag: str
    text: str


class _Blocks(HTMLParser):
    """The page's text blocks in order, innermost block wins (a paragraph inside a list item)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self._stack: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag, attrs):
        if tag in _TEXT_BLOCKS:
            self._stack.append((tag, []))

    def handle_endtag(self, tag):
        if tag in _TEXT_BLOCKS and self._stack and self._stack[-1][0] == tag:
            _, parts = self._stack.pop()
            text = " ".join("".join(parts).split())
            if text:
                self.blocks.append(Block(tag, text))

    def handle_data(self, data):
        if self._stack:
            self._stack[-1][1].append(data)


def text_blocks(html: str) -> list[Block]:
    parser = _Blocks()
    parser.feed(str(html))
    parser.close()
    # Blocks close innermost first; the page's order is the order they opened, which for text that
    # does not nest (the usual case) is the order they closed.
    return parser.blocks


def sentences(html: str) -> list[str]:
    return [
        sentence
        for block in text_blocks(html)
        if block.tag in _SENTENCE_BLOCKS
        for sentence in _SENTENCE_END.split(block.text)
        if _WORD.search(sentence)
    ]


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def normalise(acronym: str) -> str:
    """EHCPs -> EHCP, TAs -> TA, SENCo -> SENCO, DfE -> DFE."""
    if acronym.endswith("s") and acronym[:-1].isupper():
        acronym = acronym[:-1]
    return acronym.upper()


def _spells(words: list[str], letters: str) -> bool:
    """Whether the words, in order, give exactly these letters (see the module docstring)."""

    def match(word_index: int, letter_index: int) -> bool:
        if letter_index == len(letters):
            return word_index == len(words)
        if word_index == len(words):
            return False
        word = words[word_index]
        if word.lower() in SMALL_WORDS and match(word_index + 1, letter_index):
            return True
        if len(_CAPITALS.findall(word)) >= 2:
            own = normalise(word)
            if letters.startswith(own, letter_index) and match(word_index + 1, letter_index + len(own)):
                return True
        return word[0].upper() == letters[letter_index] and match(word_index + 1, letter_index + 1)

    return match(0, 0)


def _expanded_at(text: str, start: int, acronym: str) -> bool:
    """Whether the acronym at `start` sits just inside a bracket after the words it stands for."""
    before = text[:start]
    if not before.endswith("("):
        return False
    words = [w for w in re.split(r"[\s\-\u2013/]+", re.sub(r"[^\w\s\-\u2013/]", " ", before[:-1])) if w]
    words = words[-14:]
    for trailing in range(3):  # "education, health and care plan (EHC plan)"
        end = len(words) - trailing
        for begin in range(end - 1, -1, -1):
            if _spells(words[begin:end], acronym):
                return True
    return False


def unexpanded_acronyms(html: str) -> list[str]:
    """Acronyms whose first appearance in the page's text does not expand them, in the order they appear,
    then acronyms in headings that the text never uses."""
    seen: set[str] = set()
    in_headings: dict[str, str] = {}
    problems: list[str] = []
    for block in text_blocks(html):
        for found in _ACRONYM.finditer(block.text):
            acronym = normalise(found.group(0))
            if acronym in seen or acronym in EVERYDAY_ACRONYMS:
                continue
            if block.tag not in _SENTENCE_BLOCKS:
                in_headings.setdefault(acronym, found.group(0))
                continue
            seen.add(acronym)
            if not _expanded_at(block.text, found.start(), acronym):
                problems.append(found.group(0))
    problems.extend(written for acronym, written in in_headings.items() if acronym not in seen)
    return problems


@dataclass(frozen=True)
class Readability:
    sentences: int
    words: int
    # (page slug, acronym as written) for each acronym not expanded where it first appears.
    unexpanded: tuple[tuple[str, str], ...]

    @property
    def mean_sentence_length(self) -> float:
        return self.words / self.sentences if self.sentences else 0.0


def module_readability(module) -> Readability:
    counted = [sentence for page in module.pages for sentence in sentences(page.html)]
    return Readability(
        sentences=len(counted),
        words=sum(word_count(sentence) for sentence in counted),
        unexpanded=tuple((page.slug, acronym) for page in module.pages for acronym in unexpanded_acronyms(page.html)),
    )
