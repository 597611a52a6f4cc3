"""Build the demo corpus (``corpus.jsonl``) and demo paper (``paper.txt``) from the CSL abstracts.

Usage: ``python corpora/sample/build_sample.py [--shared ../shared]`` (deterministic; rerun to regenerate).

Each corpus record is a pseudo-paper of three abstracts of one discipline; the paper is made of other
abstracts (not in the corpus) with two passages copied from corpus records, one verbatim-ish with a
few characters changed and one in traditional characters, plus a 参考文献 section.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
N_RECORDS = 200
PER_RECORD = 3
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=HERE.parents[2] / "shared")
    args = ap.parse_args()
    src = args.shared / "data" / "abstracts" / "csl_abstracts.jsonl"
    rows = [json.loads(line) for line in src.open(encoding="utf-8")]
    rng = random.Random(20261123)
    by_disc: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        if not r.get("discipline_inferred") and 120 <= len(r["text"]) <= 400:
            by_disc[r["discipline"]].append(r)
    disciplines = sorted(by_disc)
    records: list[dict[str, Any]] = []
    used: set[str] = set()
    i = 0
    while len(records) < N_RECORDS:
        pool = by_disc[disciplines[i % len(disciplines)]]
        i += 1
        part = [a for a in pool if a["id"] not in used][:PER_RECORD]
        if len(part) < PER_RECORD:
            if i > 10 * N_RECORDS:
                break
            continue
        used.update(a["id"] for a in part)
        title = next((a["title"] for a in part if a.get("title")), f"{part[0]['discipline']}研究若干问题")
        records.append(
            {
                "id": f"sample-{len(records) + 1:04d}",
                "title": title,
                "text": "\n".join(a["text"] for a in part),
                "authors": [_name(rng) for _ in range(rng.randint(1, 3))],
                "year": rng.randint(2012, 2022),
                "members": [a["id"] for a in part],
            }
        )
    with (HERE / "corpus.jsonl").open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")

    # The paper: computer-science abstracts not in the corpus, two copied passages, references.
    disc = "计算机科学与技术"
    own = [a for a in by_disc[disc] if a["id"] not in used][:9]
    src1 = next(r for r in records if r["members"][0] in {a["id"] for a in by_disc[disc]})
    src2 = next(r for r in records if r["members"][0] in {a["id"] for a in by_disc["信息与通信工程"]})
    copy1 = src1["text"].split("\n")[1]
    copy1 = copy1.replace("提出", "给出", 1).replace("方法", "方案", 1)  # light edits
    copy2 = src2["text"].split("\n")[0]
    try:
        import opencc

        copy2 = opencc.OpenCC("s2t").convert(copy2)  # copied from a traditional-character reprint
    except ImportError:
        pass
    body = [
        "计算机工程 2021年 第47卷 第5期  ISSN 1000-3428  CN 31-1289/TP",
        "基于深度特征的数据处理方法研究",
        "作者：王明远  李晓华",
        "（某某大学 计算机学院，甘肃 兰州 730000）",
        "摘要：" + own[0]["text"],
        "关键词：数据处理；深度学习；算法",
        "1 引言",
        own[1]["text"],
        own[2]["text"],
        copy1,
        "2 方法",
        own[3]["text"],
        own[4]["text"],
        "3 实验与分析",
        own[5]["text"],
        copy2,
        own[6]["text"],
        "4 结论",
        own[7]["text"],
        "参考文献",
        f"[1] {src1['authors'][0]}. {src1['title']}[J]. 计算机工程, {src1['year']}, 12(3): 1-8.",
        f"[2] {src2['authors'][0]}. {src2['title']}[J]. 管理科学学报, {src2['year']}, 8(2): 10-18.",
    ]
    (HERE / "paper.txt").write_text("\n".join(body) + "\n", encoding="utf-8")
    print(f"{len(records)} records; paper copies from {src1['id']} and {src2['id']}")


if __name__ == "__main__":
    main()
