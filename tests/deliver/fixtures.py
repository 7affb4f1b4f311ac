"""A small real-text catalog (robotics, language models, vision, game theory over three days),
indexed with the bundled encoder, plus a real SMTP server (aiosmtpd) on loopback whose
failures can be scripted: refuse (4xx/5xx) or drop the connection mid-DATA."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

from papersift.paper import Paper
from tests.community.factories import paper
from tests.conftest import require
from tests.harness import free_port  # noqa: F401  (re-exported: the delivery tests and drills import it from here)

D1, D2, D3, D4 = date(2025, 6, 2), date(2025, 6, 3), date(2025, 6, 4), date(2025, 6, 5)

ROBOTICS = [
    (
        "2506.00001",
        "Learning dexterous grasping with tactile feedback for robot hands",
        D1,
        "A multi-fingered robot hand learns to grasp unknown objects with tactile sensors and reinforcement learning.",
    ),
    (
        "2506.00002",
        "Sim-to-real transfer of legged locomotion policies",
        D1,
        "Locomotion controllers for legged robots trained in simulation transfer to hardware via domain randomization.",
    ),
    (
        "2506.00003",
        "Vision-based robotic manipulation of deformable objects",
        D2,
        "A robot arm folds cloth and manipulates cables using visual feedback and learned dynamics models.",
    ),
    (
        "2506.00004",
        "Tactile sensing for robust robotic grasp planning",
        D3,
        "Grasp planning for robot grippers improves when tactile signals correct slip during pick-and-place.",
    ),
    (
        "2506.00005",
        "Quadruped robot locomotion over rough terrain with reinforcement learning",
        D3,
        "A quadruped robot learns to walk over stairs and rubble with a reinforcement learning policy.",
    ),
]
LANGUAGE = [
    (
        "2506.00011",
        "Instruction tuning of large language models",
        D1,
        "We fine-tune large language models on instructions and measure zero-shot generalisation.",
    ),
    (
        "2506.00012",
        "Retrieval-augmented generation for open-domain question answering",
        D2,
        "Language models answer questions better when retrieved passages are added to the prompt.",
    ),
    (
        "2506.00013",
        "Evaluating hallucinations in large language model summaries",
        D3,
        "We measure how often large language models hallucinate facts when summarising news articles.",
    ),
    (
        "2506.00014",
        "Efficient attention for long-context language models",
        D3,
        "Sparse attention lets language models read documents of a million tokens at low cost.",
    ),
]
OTHER = [
    (
        "2506.00021",
        "Diffusion models for high-resolution image synthesis",
        D2,
        ("cs.CV",),
        ("Ada Lovelace",),
        "Latent diffusion generates megapixel images from text prompts.",
    ),
    (
        "2506.00022",
        "Self-supervised learning of visual representations",
        D3,
        ("cs.CV",),
        ("Alan Turing",),
        "Contrastive pre-training on unlabeled images yields features that transfer to detection.",
    ),
    (
        "2506.00023",
        "Equilibrium computation in auctions with budgets",
        D3,
        ("cs.GT",),
        ("Grace Hopper",),
        "We compute pacing equilibria of first-price auctions where bidders have budget constraints.",
    ),
]


def corpus() -> list[Paper]:
    """12 papers; upvotes make the trending order predictable (higher id, more votes within a day)."""
    out = []
    for i, (pid, title, day, abstract) in enumerate(ROBOTICS):
        out.append(paper(pid, title, day, i + 1, cats=("cs.RO",), authors=("Rosalind Franklin",), abstract=abstract))
    for i, (pid, title, day, abstract) in enumerate(LANGUAGE):
        out.append(paper(pid, title, day, 10 + i, cats=("cs.CL",), authors=("Claude Shannon",), abstract=abstract))
    for i, (pid, title, day, cats, authors, abstract) in enumerate(OTHER):
        out.append(paper(pid, title, day, 20 + i, cats=cats, authors=authors, abstract=abstract))
    return out


@dataclass
class SmtpServer:
    """aiosmtpd on 127.0.0.1. `plan` scripts the next DATA replies: "ok", "drop", or an SMTP reply
    such as "421 try later" / "550 no such user"; when the plan is used up every DATA is accepted."""

    port: int
    plan: list[str] = field(default_factory=list)
    received: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)  # the DATA exactly as it arrived
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    data_calls: int = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        self.data_calls += 1
        step = self.plan.pop(0) if self.plan else "ok"
        if step == "drop":
            server.transport.close()
            return "421 closing"
        if step != "ok":
            return step
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.raw.append(envelope.original_content)
        self.received.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 OK"


def run_server(server: SmtpServer, **kwargs: object) -> Iterator[SmtpServer]:
    controller = Controller(server, hostname="127.0.0.1", port=server.port, **kwargs)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


def self_signed(directory: Path) -> tuple[Path, ssl.SSLContext]:
    """A certificate for localhost/127.0.0.1 (openssl CLI) and a server TLS context using it."""
    require(
        shutil.which("openssl") is not None, "TLS mail tests: the openssl command is missing (apt-get install openssl)"
    )
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return cert, context
