"""A short topic for an ask: its most specific words, in the order it uses them.

Long Dutch words are compounds and names ("noodopvang", "Spreidingswet", "weerbaarheidsprogramma")
and say what an ask is about; the words every ask uses to ask ("kabinet", "vragen", "moet") do not.
"""

from __future__ import annotations

import re

from qa_service.store.keyword import STOPWORDS

_WORD = re.compile(r"[A-Za-zÀ-ÿ][\w'’-]*[\w]")
# The vocabulary of asking and of the formation itself, not of any topic.
_FRAME = frozenset(
    "kabinet kabinetten nieuwe nieuw overheid rijksoverheid regering nederland nederlandse formatie informateur"
    " politiek vragen vraagt pleiten pleit roepen roept oproep bevelen beveelt aanbeveling aanbevelingen zorg zorgen"
    " zorgt ervoor moet moeten dient dienen nodig noodzakelijk essentieel belangrijk belang cruciaal urgent"
    " komende jaren periode samen verder goede goed daarom daarbij hiervoor waarbij zodat onder andere mogelijk"
    " investeer investeren investeert blijft blijven maken maak zorgdragen stellen stel geven geef komen kom"
    " sterke sterker sterk rijksbrede structurele structureel extra voldoende ruimte middelen organisaties".split()
)
MAX_WORDS = 3


def topic(text: str) -> str:
    words = [m.group(0) for m in _WORD.finditer(text)]
    seen: dict[str, int] = {}
    for i, w in enumerate(words):
        low = w.lower()
        if len(low) < 5 or low in STOPWORDS or low in _FRAME or low in seen:
            continue
        seen[low] = i
    ranked = sorted(seen, key=lambda w: (-len(w), seen[w]))[:MAX_WORDS]
    chosen = sorted(ranked, key=lambda w: seen[w])
    return ", ".join(words[seen[w]] for w in chosen)
