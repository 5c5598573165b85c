from __future__ import annotations

from pathlib import Path

from scriptio.data.splits import dev_documents, document_of, split_dev
from scriptio.types import LineRecord


def test_documents_group_the_pages_of_a_letter_or_a_will():
    assert document_of("hooker", "JDH_2_16_144_001") == document_of("hooker", "JDH_2_16_144_002") == "JDH_2_16_144"
    assert document_of("poilus", "TestamentsDePoilus_will_AD78_0034-0") == "TestamentsDePoilus_will_AD78_0034"
    assert document_of("copiste", "page_12_3") == "page_12_3"


def records(dataset: str, pages: list[str]) -> list[LineRecord]:
    return [LineRecord(id=f"{page}_l{i}", image_path=Path("x.jpg"), text="a", dataset=dataset, page=page)
            for page in pages for i in range(3)]


def test_dev_lines_never_share_a_document_with_train_lines():
    pages = [f"JDH_1_{letter}_{page:03d}" for letter in range(40) for page in (1, 2)]
    train, dev = split_dev(records("hooker", pages), fraction=0.1)
    train_docs = {document_of("hooker", r.page) for r in train}
    dev_docs = {document_of("hooker", r.page) for r in dev}
    assert dev and not train_docs & dev_docs
    assert len(dev_docs) == 4 and len(train) + len(dev) == len(pages) * 3


def test_the_choice_depends_on_the_seed_not_on_the_order():
    documents = [f"doc{i}" for i in range(50)]
    assert dev_documents(documents, 0.1, seed=1) == dev_documents(list(reversed(documents)), 0.1, seed=1)
    assert dev_documents(documents, 0.1, seed=1) != dev_documents(documents, 0.1, seed=2)


def test_a_single_document_stays_in_train():
    train, dev = split_dev(records("peraire", ["only"]))
    assert len(train) == 3 and dev == []
