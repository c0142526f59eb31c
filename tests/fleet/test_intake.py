"""The centre's hand-over between fetching and writing: the next batch is everything fetched
while a write ran, bounded, and what was never written is given back to JetStream."""

from __future__ import annotations

import asyncio

from jayul.fleet.intake import Intake


class FakeMsg:
    def __init__(self, n: int) -> None:
        self.n = n
        self.naked = False

    async def nak(self) -> None:
        self.naked = True


def test_a_batch_is_what_arrived_during_the_previous_write() -> None:
    async def scenario() -> list[list[int]]:
        intake = Intake(limit=4)
        taken: list[list[int]] = []

        async def writer() -> None:
            while (batch := await intake.take()) is not None:
                taken.append([m.n for m in batch.msgs])
                intake.writing(True)
                await asyncio.sleep(0.05)  # the write
                intake.writing(False)

        task = asyncio.create_task(writer())
        intake.put([FakeMsg(1)], [], 1)
        await asyncio.sleep(0.01)  # the writer took [1] and writes it
        assert intake.busy()
        for n in (2, 3, 4):
            intake.put([FakeMsg(n)], [], n)
        assert intake.room() == 1
        await intake.wait_idle(1.0)
        await asyncio.sleep(0.01)
        intake.close()
        await task
        return taken

    assert asyncio.run(scenario()) == [[1], [2, 3, 4]]


def test_a_full_intake_waits_and_the_unwritten_are_given_back() -> None:
    async def scenario() -> tuple[int, bool]:
        intake = Intake(limit=2)
        msgs = [FakeMsg(1), FakeMsg(2)]
        intake.put(msgs, [], 1)
        assert intake.room() == 0
        loop = asyncio.get_running_loop()
        started = loop.time()
        await intake.wait_room(0.05)  # nobody takes: back after the timeout
        waited = loop.time() - started
        await intake.release()
        return intake.room(), waited >= 0.04 and all(m.naked for m in msgs)

    assert asyncio.run(scenario()) == (2, True)
