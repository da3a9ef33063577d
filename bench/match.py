"""Matching speed at scale: N topics, ~600-word stories in English and Ukrainian.

    python bench/match.py [--topics 1000000] [--stories 2000] [--seed 1]

Generates (not timed): a vocabulary of common English words (word frequencies from the fixture
feeds in tests/fixtures/feeds), Ukrainian dictionary words (lemmas read from pymorphy3's uk
dictionary; stories use their inflected forms), and a long tail of proper names in both scripts;
topics (60% one word, 30% two-word phrases, 10% boolean queries), their words 80% names and 20%
less common words, with Zipf popularity so popular topics repeat as they do among real users; and
stories of ~600 words with sentence punctuation, mixing common words, names and two-word phrases.

Timed, in CPU seconds of this process (it runs on one core; CPU time keeps other load on a shared
machine out of the figures, and the wall time is printed too): build (parse + index every topic,
including loading the dictionaries and expanding the
Ukrainian words into their forms) and matching (normalisation included: `index.match(Document)`
on raw title and body text). Peak RSS is the whole process. The last line is
`articles/s: N peak_rss_mb: M build_s: B`.

A shared machine's speed drifts (by 40% within an hour has been seen), so before the last line
come two references measured in the same run: the time of 1,000 look-ups of fresh strings in a
300,000-key dict, a memory-latency-bound operation like most of the matcher's work; and the speed,
on the same topics and stories, of a rough n-gram-set matcher (lower-cased words and word pairs
looked up in one dict of topic strings: no forms, no boolean logic, no matched words). Compare
figures across runs only together with them.
"""

from __future__ import annotations

import argparse
import collections
import gc
import itertools
import random
import re
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.errors import TopicError  # noqa: E402
from bot.match import speedups  # noqa: E402
from bot.match.base import Document, Query  # noqa: E402
from bot.match.engine import QueryMatcher  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "feeds"
EN_SYLLABLES = [
    "ka",
    "ri",
    "mo",
    "ne",
    "sa",
    "lu",
    "ven",
    "tor",
    "bel",
    "an",
    "dra",
    "gan",
    "mil",
    "ser",
    "vo",
    "kin",
    "las",
    "pe",
    "ton",
    "har",
    "wel",
]
UK_SYLLABLES = [
    "ко",
    "ва",
    "лен",
    "ко",
    "ши",
    "мо",
    "ро",
    "да",
    "ні",
    "ук",
    "ба",
    "гр",
    "ди",
    "ти",
    "ли",
    "ра",
    "за",
    "пе",
    "тро",
    "ів",
    "ма",
    "ри",
    "на",
]
UK_STOP = [
    "і",
    "в",
    "у",
    "на",
    "з",
    "що",
    "до",
    "не",
    "та",
    "за",
    "як",
    "це",
    "від",
    "по",
    "про",
    "для",
    "його",
    "але",
    "вже",
    "ще",
]


def english_vocabulary() -> list[str]:
    counts: collections.Counter[str] = collections.Counter()
    for path in FIXTURES.rglob("*"):
        if path.suffix in (".xml", ".rss", ".atom", ".json") and path.is_file():
            text = re.sub(r"<[^>]+>", " ", path.read_text("utf-8", errors="replace"))
            counts.update(w.lower() for w in re.findall(r"[A-Za-z]{2,}", text))
    return [w for w, _ in counts.most_common()]


def ukrainian_lexemes(limit: int, rng: random.Random) -> list[list[str]]:
    """`limit` Ukrainian lemmas with their forms (the first form is the lemma)."""
    from bot.match.forms import analyzer

    morph = analyzer("uk")  # the bot's own: the dictionaries are loaded once, as in the bot
    lemmas: dict[str, None] = {}
    for word, tag, normal, *_ in itertools.islice(morph.iter_known_word_parses(), 400_000):
        if word == normal and tag.POS in ("NOUN", "ADJF", "VERB") and len(word) > 3:
            lemmas[word] = None
    chosen = rng.sample(sorted(lemmas), min(limit, len(lemmas)))
    out = []
    for lemma in chosen:
        forms = {f.word for p in morph.parse(lemma)[:1] for f in p.lexeme}
        out.append([lemma, *sorted(forms - {lemma})])
    return out


def names(syllables: list[str], n: int, rng: random.Random) -> list[str]:
    found: dict[str, None] = {}
    while len(found) < n:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        found[word.capitalize()] = None
    return list(found)


def zipf_sampler(n: int, rng: random.Random, s: float = 1.0):  # type: ignore[no-untyped-def]
    weights = list(itertools.accumulate(1 / (r + 1) ** s for r in range(n)))
    total = weights[-1]

    def draw(k: int) -> list[int]:
        import bisect

        return [bisect.bisect_left(weights, rng.random() * total) for _ in range(k)]

    return draw


class Corpus:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        en = english_vocabulary()
        self.en_common = en[:6000]
        self.en_specific = en[3500:]  # topic words: specific, not the everyday vocabulary
        self.uk = ukrainian_lexemes(12_000, rng)
        self.en_names = names(EN_SYLLABLES, 150_000, rng)
        self.uk_names = names(UK_SYLLABLES, 150_000, rng)
        self.pick_en = zipf_sampler(len(self.en_common), rng, 1.05)
        self.pick_uk = zipf_sampler(len(self.uk), rng, 1.05)
        self.pick_name = zipf_sampler(150_000, rng, 0.9)
        self.pick_specific = zipf_sampler(len(self.en_specific), rng, 0.9)
        # Phrases both topics and stories use: "first-name surname", "adjective noun".
        self.en_phrases = [
            f"{self.en_names[i]} {self.en_names[j]}"
            for i, j in zip(self.pick_name(20_000), self.pick_name(20_000), strict=True)
        ]
        self.uk_phrases = [
            f"{self.uk_names[i]} {self.uk[j][0]}"
            for i, j in zip(self.pick_name(20_000), self.pick_uk(20_000), strict=True)
        ]
        self.pick_phrase = zipf_sampler(20_000, rng, 0.9)
        # What readers follow is not ranked like what stories mention most: topics rank names
        # and phrases in their own (shuffled) order of popularity.
        self.topic_name = list(range(150_000))
        rng.shuffle(self.topic_name)
        self.topic_phrase = list(range(20_000))
        rng.shuffle(self.topic_phrase)

    def topic_word(self, uk: bool) -> str:
        rng = self.rng
        if rng.random() < 0.8:
            return (self.uk_names if uk else self.en_names)[self.topic_name[self.pick_name(1)[0]]]
        if uk:
            return self.uk[4000 + self.pick_uk(1)[0] % (len(self.uk) - 4000)][0]
        return self.en_specific[self.pick_specific(1)[0]]

    def topic(self) -> str:
        rng = self.rng
        uk = rng.random() < 0.5
        kind = rng.random()
        if kind < 0.6:
            return self.topic_word(uk)
        if kind < 0.9:
            if rng.random() < 0.5:
                phrases = self.uk_phrases if uk else self.en_phrases
                return phrases[self.topic_phrase[self.pick_phrase(1)[0]]]
            return f"{self.topic_word(uk)} {self.topic_word(uk)}"
        a, b, c = (self.topic_word(uk) for _ in range(3))
        return rng.choice(
            [f"{a} AND {b}", f"{a} OR {b}", f"{a} -{b}", f"({a} OR {b}) {c}", f'"{a} {b}" NOT {c}']
        )

    def story(self, length: int = 600) -> Document:
        rng = self.rng
        uk = rng.random() < 0.5
        out: list[str] = []
        common = self.pick_uk(length) if uk else self.pick_en(length)
        for i in range(length):
            roll = rng.random()
            if roll < 0.05:
                out.append((self.uk_names if uk else self.en_names)[self.pick_name(1)[0]])
            elif roll < 0.06:
                out.append((self.uk_phrases if uk else self.en_phrases)[self.pick_phrase(1)[0]])
            elif uk:
                if rng.random() < 0.25:
                    out.append(rng.choice(UK_STOP))
                else:
                    lexeme = self.uk[common[i]]
                    out.append(rng.choice(lexeme))
            else:
                out.append(self.en_common[common[i]])
            if rng.random() < 0.08:
                out[-1] += rng.choice([".", ",", ",", ":", " —"])
        return Document(" ".join(out[:12]).capitalize(), " ".join(out[12:]).capitalize())


def rss_mb() -> float:
    """This process's resident memory now, MB (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def machine_reference() -> float:
    """Microseconds per 1,000 look-ups of fresh strings in a 300,000-key dict (best of 3)."""
    rng = random.Random(7)
    keys = [f"{rng.getrandbits(40):x}" for _ in range(300_000)]
    table = dict.fromkeys(keys, 0)
    probes = [
        [
            "".join(reversed(k))[::-1] if i % 2 else f"{rng.getrandbits(40):x}"
            for i, k in enumerate(rng.sample(keys, 350))
        ]
        for _ in range(300)
    ]
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        for words in probes:
            set(words) & table.keys()
        best = min(best, time.perf_counter() - t)
    return best / (300 * 350) * 1e9


def ngram_rate(topic_text: list[str], stories: list[Document]) -> tuple[float, float]:
    """Stories per CPU second of a rough n-gram-set matcher, and the subscriptions it finds per
    story: every topic's lower-cased words (a boolean topic's first word) as one dict key; a
    story's words and word pairs looked up."""
    word = re.compile(r"\w+")
    ops = {"and", "or", "not"}
    table: dict[str, list[int]] = {}
    for i, topic in enumerate(t for part in topic_text for t in part.split("\n") if t):
        words = [w for w in word.findall(topic.lower()) if w not in ops]
        if words:
            key = words[0] if re.search(r"\b(?:AND|OR|NOT)\b|[()]", topic) else " ".join(words)
            table.setdefault(key, []).append(i)
    found = 0
    t = time.process_time()
    for doc in stories:
        words = word.findall(f"{doc.title} {doc.body}".lower())
        grams = set(words)
        grams.update(map(" ".join, itertools.pairwise(words)))
        found += sum(len(table[g]) for g in grams & table.keys())
    return len(stories) / (time.process_time() - t), found / len(stories)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--topics", type=int, default=1_000_000)
    ap.add_argument("--stories", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    t = time.perf_counter()
    corpus = Corpus(rng)
    # Topics kept as a few big strings (one topic a line, split 10,000 at a time): a million small
    # str objects would add ~60 MB of the harness's own to the peak RSS measured for the engine.
    topic_text = [
        "\n".join(corpus.topic() for _ in range(10_000)) for _ in range(args.topics // 10_000)
    ]
    topic_text.append("\n".join(corpus.topic() for _ in range(args.topics % 10_000)))
    stories = [corpus.story() for _ in range(args.stories + 200)]
    # The generator's vocabulary (~90 MB: names, lexemes, popularity tables) is not needed once the
    # topics and stories exist: freed, so the peak measures the engine, not the harness's leftovers.
    del corpus
    gc.collect()
    harness = rss_mb()
    print(
        f"generated {args.topics} topics, {len(stories)} stories in {time.perf_counter() - t:.1f} s"
    )

    t, wall = time.process_time(), time.perf_counter()
    matcher = QueryMatcher()
    refused = 0

    def parsed() -> Iterator[tuple[int, Query]]:
        nonlocal refused
        for i, topic in enumerate(t for part in topic_text for t in part.split("\n") if t):
            try:
                yield i, matcher.parse(topic)
            except TopicError:
                refused += 1  # e.g. a generated topic of only stop-words

    index = matcher.index(parsed())
    build = time.process_time() - t
    print(
        f"indexed {len(index)} topics ({index.distinct_queries} distinct, {refused} refused) "
        f"in {build:.1f} s CPU ({time.perf_counter() - wall:.1f} s wall)"
    )

    for doc in stories[:200]:  # warm-up: the first sight of each word folds it once
        index.match(doc)
    t, wall = time.process_time(), time.perf_counter()
    hits = sum(len(index.match(doc)) for doc in stories[200:])
    elapsed = time.process_time() - t
    rate = args.stories / elapsed
    print(
        f"matched {args.stories} stories in {elapsed:.2f} s CPU "
        f"({time.perf_counter() - wall:.2f} s wall)"
    )
    # `match` hands back each matched distinct query once with its subscribers' ids (`Hits`);
    # what it costs to also make one `Hit` per subscription, as a consumer iterating them does:
    t = time.process_time()
    for doc in stories[200:]:
        list(index.match(doc))
    expanded = args.stories / (time.process_time() - t)
    print(f"with one Hit made per matched subscription: {expanded:.0f} articles/s")
    words = sum(len(d.body.split()) + len(d.title.split()) for d in stories) / len(stories)
    print(
        f"{args.stories} stories of ~{words:.0f} words: {hits / args.stories:.1f} "
        f"subscriptions matched per story"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"memory: {harness:.0f} MB before the build (topics and stories as text, interpreter)")
    print(f"C speed-ups: {'in use' if speedups.in_use() else 'off (the pure-Python twins)'}")
    del index  # the n-gram matcher below is smaller: the peak is the engine's, measured above
    gc.collect()
    print(f"machine reference: {machine_reference():.0f} us per 1,000 dict look-ups")
    ngram, ngram_found = ngram_rate(topic_text, stories[200:])
    print(
        f"reference: a rough n-gram-set matcher, same topics and stories: {ngram:.0f} articles/s "
        f"({ngram_found:.0f} subscriptions found per story)"
    )
    print(f"articles/s: {rate:.0f} peak_rss_mb: {peak:.0f} build_s: {build:.1f}")


if __name__ == "__main__":
    main()
