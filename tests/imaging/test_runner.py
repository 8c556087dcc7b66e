"""Running the SDXL pipelines: `PipelineRunner` (one thread, requests first, eager until warm), the CUDA-graph step
marks of `call_pipeline`, the ControlNet zero-scale skip, `eager_modules`, `call_signature`, and `SdxlImageGenerator`
sending every pipeline call through its runner. Tiny random SDXL on the CPU; compilation uses dynamo's "eager"
backend only (graph capture, no code generation)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
import torch
from imaging_helpers import CallCounter, product_photo
from PIL import Image, ImageDraw

from adgen.imaging import acceleration
from adgen.imaging.acceleration import (
    AccelerationOptions,
    PipelineRunner,
    _CompiledOrEager,
    _eager_forced,
    _SkipUnscaledControlNet,
    adopt_cudagraph_thread_state,
    call_pipeline,
    call_signature,
    eager_modules,
    prepare_pipeline,
    restore_pipeline,
)
from adgen.imaging.sdxl import SdxlImageGenerator
from adgen.imaging.tiny import build_tiny_controlnet, build_tiny_sdxl_pipeline

WAIT = 60.0  # seconds any single wait on the runner may take before the test fails instead of hanging
RECORDING_EAGER = "adgen_test_recording_eager"
COMPILED_ON: list[str] = []  # the thread of every graph the recording backend compiled


def _recording_eager(gm: torch.fx.GraphModule, _example_inputs: Any) -> Callable[..., Any]:
    """Dynamo's "eager" backend (the captured graph run as Python), noting which thread compiled each graph.

    Dynamo's own counters are process-wide: compilations on other tests' leftover threads would show up in them."""
    COMPILED_ON.append(threading.current_thread().name)
    return gm.forward


try:
    torch._dynamo.register_backend(_recording_eager, name=RECORDING_EAGER)
except AssertionError:  # already registered (the module imported twice)
    pass

EXACT_OPTIONS = {"dtype": "float32", "fuse_qkv": False, "channels_last": False}  # prepare_pipeline, same arithmetic
COMPILED_OPTIONS = {**EXACT_OPTIONS, "compile": True, "compile_backend": RECORDING_EAGER, "cuda_graphs": False, "compile_vae": False}
_names = itertools.count()


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def pipe() -> Any:
    return build_tiny_sdxl_pipeline(seed=0)


@pytest.fixture
def cn_pipe(pipe: Any) -> Any:
    from diffusers import StableDiffusionXLControlNetPipeline

    cn = StableDiffusionXLControlNetPipeline(**pipe.components, controlnet=build_tiny_controlnet(pipe.unet))
    cn.set_progress_bar_config(disable=True)
    return cn


@pytest.fixture
def runner() -> Iterator[PipelineRunner]:
    made = PipelineRunner(name=f"test-runner-{next(_names)}")
    yield made
    made.close()


@pytest.fixture
def fresh_dynamo() -> Iterator[None]:
    torch._dynamo.reset()
    COMPILED_ON.clear()
    yield
    torch._dynamo.reset()


def control_image() -> Image.Image:
    """A black control image with white outlines (what a Canny edge map looks like)."""
    image = Image.new("RGB", (64, 64), "black")
    draw = ImageDraw.Draw(image)
    draw.rectangle([16, 12, 48, 52], outline="white", width=2)
    draw.line([8, 56, 56, 8], fill="white", width=2)
    return image


def call_kwargs(steps: int = 4, seed: int = 3, **extra: Any) -> dict[str, Any]:
    return {"prompt": "카페 신메뉴", "width": 64, "height": 64, "num_inference_steps": steps, "guidance_scale": 5.0,
            "generator": torch.Generator("cpu").manual_seed(seed), "output_type": "np", **extra}


def render(pipe: Any, **kwargs: Any) -> np.ndarray:
    with torch.inference_mode():
        return pipe(**call_kwargs(**kwargs)).images




def in_new_thread(fn: Callable[[], Any]) -> Any:
    """`fn()` on a brand-new thread; its result, or its exception re-raised here."""
    out: dict[str, Any] = {}

    def body() -> None:
        try:
            out["result"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            out["error"] = exc

    thread = threading.Thread(target=body)
    thread.start()
    thread.join(WAIT)
    assert not thread.is_alive(), "the thread did not finish"
    if "error" in out:
        raise out["error"]
    return out["result"]


def drain(runner: PipelineRunner) -> None:
    """Wait until everything queued on the runner so far (background work included) has run."""
    runner.submit(lambda: None, background=True).result(WAIT)


# --------------------------------------------------------------------------------------------------------------
# PipelineRunner: the thread


def test_runner_runs_everything_on_one_dedicated_thread(runner: PipelineRunner) -> None:
    def where() -> tuple[int, str, bool]:
        return threading.get_ident(), threading.current_thread().name, runner.on_worker

    seen = [runner.run(where), runner.run(where), runner.submit(where).result(WAIT), runner.submit(where, background=True).result(WAIT)]
    assert len({ident for ident, _, _ in seen}) == 1
    ident, name, on_worker = seen[0]
    assert ident != threading.get_ident() and name == runner.name and on_worker
    assert not runner.on_worker  # the caller is not the worker


def test_run_from_inside_the_worker_runs_directly(runner: PipelineRunner) -> None:
    def outer() -> tuple[int, int]:
        return threading.get_ident(), runner.run(threading.get_ident)

    # Through submit with a timeout: a deadlock fails the test instead of hanging it.
    outer_ident, inner_ident = runner.submit(outer).result(WAIT)
    assert inner_ident == outer_ident != threading.get_ident()


def test_worker_exceptions_reach_the_caller_with_their_type(runner: PipelineRunner) -> None:
    class Boom(RuntimeError):
        pass

    def fail() -> None:
        raise Boom("on the worker")

    with pytest.raises(Boom, match="on the worker"):
        runner.run(fail)
    with pytest.raises(KeyError):
        runner.submit(lambda: {}["missing"], background=True).result(WAIT)
    assert runner.run(lambda: threading.current_thread().name) == runner.name  # the thread survived both


def test_requests_go_before_background_work(runner: PipelineRunner) -> None:
    order: list[str] = []
    started, gate = threading.Event(), threading.Event()

    def blocker() -> None:
        started.set()
        assert gate.wait(WAIT)
        order.append("blocker")

    futures = [runner.submit(blocker)]
    assert started.wait(WAIT)  # the worker is busy: everything below waits in the queue
    futures.append(runner.submit(lambda: order.append("background 1"), background=True))
    futures.append(runner.submit(lambda: order.append("request 1")))
    futures.append(runner.submit(lambda: order.append("background 2"), background=True))
    futures.append(runner.submit(lambda: order.append("request 2")))
    gate.set()
    for future in futures:
        future.result(WAIT)
    assert order == ["blocker", "request 1", "request 2", "background 1", "background 2"]


def test_close_finishes_queued_work_then_stops_the_thread(runner: PipelineRunner) -> None:
    started, gate = threading.Event(), threading.Event()
    busy = runner.submit(lambda: (started.set(), gate.wait(WAIT))[1])
    assert started.wait(WAIT)
    queued = [runner.submit(lambda: "request"), runner.submit(lambda: "background", background=True)]
    threading.Timer(0.3, gate.set).start()  # close() below is called while the worker is still busy
    runner.close(timeout=WAIT)
    assert busy.result(0) is True
    assert [f.result(0) for f in queued] == ["request", "background"]  # no caller is left waiting forever
    assert runner.name not in {t.name for t in threading.enumerate()}
    with pytest.raises(RuntimeError, match="closed"):
        runner.submit(lambda: None)
    with pytest.raises(RuntimeError, match="closed"):
        runner.run(lambda: None)


# --------------------------------------------------------------------------------------------------------------
# CUDA graph trees' thread-local state


def test_adopting_cudagraph_state_on_a_new_thread() -> None:
    from torch._inductor import cudagraph_trees as trees

    main_container = trees.get_container(0)

    def on_thread() -> tuple[bool, bool, Any, Any]:
        adopt_cudagraph_thread_state()
        set_up = hasattr(trees.local, "tree_manager_containers")  # by us, not lazily by a later get_container
        in_tls = torch._C._is_key_in_tls("tree_manager_containers")
        first = trees.get_container(0)
        adopt_cudagraph_thread_state()  # idempotent: must not start the thread's containers afresh
        return set_up, in_tls, first, trees.get_container(0)

    set_up, in_tls, first, second = in_new_thread(on_thread)
    assert set_up and in_tls
    assert first is second
    assert first is not main_container  # the trees are per thread
    assert trees.get_container(0) is main_container  # the importing thread's state is untouched


def test_adopting_cudagraph_state_without_initialize_tls(monkeypatch: pytest.MonkeyPatch) -> None:
    """torch versions without `_initialize_tls`: the state is built by hand, as `cudagraph_trees` builds it at import."""
    from torch._inductor import cudagraph_trees as trees

    monkeypatch.delattr(trees, "_initialize_tls")

    def on_thread() -> tuple[Any, Any, bool]:
        adopt_cudagraph_thread_state()
        containers = dict(trees.local.tree_manager_containers)
        container = trees.get_container(0)
        return containers, container, torch._C._get_obj_in_tls("tree_manager_containers")[0] is container

    containers, container, stashed = in_new_thread(on_thread)
    assert containers == {}
    assert isinstance(container, trees.TreeManagerContainer) and stashed


def test_runner_thread_adopts_the_cudagraph_state(runner: PipelineRunner) -> None:
    from torch._inductor import cudagraph_trees as trees

    assert runner.run(lambda: hasattr(trees.local, "tree_manager_containers"))
    assert runner.run(lambda: trees.get_container(0)) is runner.run(lambda: trees.get_container(0))


# --------------------------------------------------------------------------------------------------------------
# call_pipeline: CUDA-graph step marks


def test_call_pipeline_marks_every_step_when_using_cuda_graphs(pipe: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []

    def user_callback(_pipe: Any, step: int, _t: Any, callback_kwargs: dict[str, Any]) -> dict[str, Any]:
        events.append(f"step {step}")
        return callback_kwargs

    monkeypatch.setattr(acceleration, "_uses_cuda_graphs", lambda _pipe: True)
    monkeypatch.setattr(acceleration, "_mark_cuda_graph_step", lambda: events.append("mark"))
    with torch.inference_mode():
        call_pipeline(pipe, **call_kwargs(steps=3), callback_on_step_end=user_callback)
    # One mark before the first step, one after every step once the user's callback has run.
    assert events == ["mark", "step 0", "mark", "step 1", "mark", "step 2", "mark"]

    events.clear()
    with torch.inference_mode():
        call_pipeline(pipe, **call_kwargs(steps=3))  # no user callback: the marks still come
    assert events == ["mark"] * 4


def test_call_pipeline_keeps_what_the_user_callback_returns(pipe: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def halve_latents(_pipe: Any, step: int, _t: Any, callback_kwargs: dict[str, Any]) -> dict[str, Any]:
        if step == 1:
            callback_kwargs["latents"] = callback_kwargs["latents"] * 0.5
        return callback_kwargs

    with torch.inference_mode():
        untouched = call_pipeline(pipe, **call_kwargs(steps=3)).images
        without_graphs = call_pipeline(pipe, **call_kwargs(steps=3), callback_on_step_end=halve_latents).images
        monkeypatch.setattr(acceleration, "_uses_cuda_graphs", lambda _pipe: True)
        monkeypatch.setattr(acceleration, "_mark_cuda_graph_step", lambda: None)
        with_graphs = call_pipeline(pipe, **call_kwargs(steps=3), callback_on_step_end=halve_latents).images
    assert np.abs(without_graphs - untouched).max() > 1e-3  # the callback's latents were used...
    np.testing.assert_array_equal(with_graphs, without_graphs)  # ...through the marking wrapper too


def test_call_pipeline_does_not_mark_without_cuda_graphs(pipe: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    marks: list[int] = []
    steps: list[int] = []
    monkeypatch.setattr(acceleration, "_mark_cuda_graph_step", lambda: marks.append(1))
    # CUDA graphs asked for, but on the CPU: no graphs, so no marks.
    pipe.__dict__["_adgen_acceleration"] = AccelerationOptions(compile=True, cuda_graphs=True)
    assert not acceleration._uses_cuda_graphs(pipe)

    def user_callback(_pipe: Any, step: int, _t: Any, callback_kwargs: dict[str, Any]) -> dict[str, Any]:
        steps.append(step)
        return callback_kwargs

    with torch.inference_mode():
        call_pipeline(pipe, **call_kwargs(steps=3), callback_on_step_end=user_callback)
    assert marks == [] and steps == [0, 1, 2]


def test_call_pipeline_with_cuda_graphs_keeps_a_pipeline_callbacks_tensor_inputs(pipe: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from diffusers.callbacks import SDXLCFGCutoffCallback

    with torch.inference_mode():
        expected = call_pipeline(pipe, **call_kwargs(steps=4), callback_on_step_end=SDXLCFGCutoffCallback(cutoff_step_ratio=0.5)).images
        monkeypatch.setattr(acceleration, "_uses_cuda_graphs", lambda _pipe: True)
        monkeypatch.setattr(acceleration, "_mark_cuda_graph_step", lambda: None)
        marked = call_pipeline(pipe, **call_kwargs(steps=4), callback_on_step_end=SDXLCFGCutoffCallback(cutoff_step_ratio=0.5)).images
    np.testing.assert_array_equal(marked, expected)


# --------------------------------------------------------------------------------------------------------------
# the ControlNet skip after control_guidance_end


def test_controlnet_skip_is_exact_and_skips_the_unscaled_steps(cn_pipe: Any) -> None:
    control = control_image()
    half_reference = render(cn_pipe, image=control, control_guidance_end=0.5)
    full_reference = render(cn_pipe, image=control, control_guidance_end=1.0)
    assert np.abs(half_reference - full_reference).max() > 1e-3  # the window changes the image: the test can tell

    prepare_pipeline(cn_pipe, AccelerationOptions(**EXACT_OPTIONS))
    skip = cn_pipe.controlnet.__dict__["forward"]
    assert isinstance(skip, _SkipUnscaledControlNet)
    mid = CallCounter(cn_pipe.controlnet.controlnet_mid_block)
    try:
        half = render(cn_pipe, image=control, control_guidance_end=0.5)
        # Diffusers runs the ControlNet with scale 0 after the window's end; skipping it gives the same image.
        np.testing.assert_array_equal(half, half_reference)
        assert (skip.run, skip.skipped, mid.calls) == (2, 2, 2)  # 4 steps, one (CFG-batched) ControlNet call each

        skip.run = skip.skipped = mid.calls = 0
        full = render(cn_pipe, image=control, control_guidance_end=1.0)
        np.testing.assert_array_equal(full, full_reference)
        assert (skip.run, skip.skipped, mid.calls) == (4, 0, 4)

        restore_pipeline(cn_pipe)
        assert "forward" not in cn_pipe.controlnet.__dict__
        mid.calls = 0
        np.testing.assert_array_equal(render(cn_pipe, image=control, control_guidance_end=0.5), half_reference)
        assert mid.calls == 4  # diffusers itself calls the ControlNet on every step
    finally:
        mid.remove()


def test_preparing_again_installs_one_skip_over_the_eager_forward(cn_pipe: Any) -> None:
    prepare_pipeline(cn_pipe, AccelerationOptions(**EXACT_OPTIONS))
    first = cn_pipe.controlnet.__dict__["forward"]
    prepare_pipeline(cn_pipe, AccelerationOptions(**EXACT_OPTIONS))
    second = cn_pipe.controlnet.__dict__["forward"]
    assert isinstance(second, _SkipUnscaledControlNet) and second is not first
    assert not isinstance(second.forward, _SkipUnscaledControlNet)  # not stacked on the previous skip
    assert second.forward.__func__ is type(cn_pipe.controlnet).forward and second.forward.__self__ is cn_pipe.controlnet


def test_skip_only_when_the_scale_is_a_zero_number_and_a_tuple_is_wanted() -> None:
    calls: list[dict[str, Any]] = []

    def forward(*args: Any, **kwargs: Any) -> str:
        calls.append(kwargs)
        return "ran"

    skip = _SkipUnscaledControlNet(forward)
    assert skip("x", conditioning_scale=0.0, return_dict=False) == (None, None)
    assert skip("x", conditioning_scale=torch.tensor(0.0), return_dict=False) == (None, None)
    assert skip("x", conditioning_scale=0.5, return_dict=False) == "ran"
    assert skip("x", conditioning_scale=0.0) == "ran"  # return_dict=True wants an output object: not skippable
    assert skip("x", conditioning_scale=[0.0, 0.0], return_dict=False) == "ran"  # Multi-ControlNet scales
    assert (skip.run, skip.skipped) == (3, 2)
    assert calls[0] == {"conditioning_scale": 0.5, "return_dict": False}


def test_controlnet_skip_with_guess_mode(cn_pipe: Any) -> None:
    control = control_image()
    reference = render(cn_pipe, image=control, control_guidance_end=0.5, guess_mode=True)
    prepare_pipeline(cn_pipe, AccelerationOptions(**EXACT_OPTIONS))
    np.testing.assert_array_equal(render(cn_pipe, image=control, control_guidance_end=0.5, guess_mode=True), reference)


# --------------------------------------------------------------------------------------------------------------
# eager_modules


def test_eager_modules_swaps_the_compiled_unet_on_this_thread_only(pipe: Any, fresh_dynamo: None) -> None:
    prepare_pipeline(pipe, AccelerationOptions(**COMPILED_OPTIONS))  # wrappers only: nothing compiles without a call
    wrapper = pipe.unet
    raw = wrapper._orig_mod
    assert isinstance(wrapper, torch._dynamo.eval_frame.OptimizedModule)
    assert not _eager_forced()

    with eager_modules(pipe):
        assert pipe.unet is raw and _eager_forced()
        assert in_new_thread(_eager_forced) is False
        with eager_modules(pipe):  # nested: still eager after the inner block
            assert pipe.unet is raw
        assert pipe.unet is raw and _eager_forced()
    assert pipe.unet is wrapper and not _eager_forced()

    class Boom(Exception):
        pass

    with pytest.raises(Boom), eager_modules(pipe):
        raise Boom
    assert pipe.unet is wrapper and not _eager_forced()


def test_compiled_or_eager_follows_the_calling_threads_flag(pipe: Any) -> None:
    both = _CompiledOrEager(lambda: "compiled", lambda: "eager")
    assert both() == "compiled"
    with eager_modules(pipe):  # an uncompiled pipeline: only the flag changes
        assert both() == "eager"
        assert in_new_thread(both) == "compiled"
    assert both() == "compiled"


# --------------------------------------------------------------------------------------------------------------
# call_signature


def test_call_signature_tells_apart_what_needs_other_graphs(pipe: Any, cn_pipe: Any, fresh_dynamo: None) -> None:
    base = {"prompt": "x", "width": 64, "height": 64, "guidance_scale": 5.0, "num_images_per_prompt": 1}

    def sig(p: Any = pipe, **changes: Any) -> Any:
        return call_signature(p, {**base, **changes})

    assert sig() == sig(prompt="something else entirely", num_inference_steps=30)  # text and steps: same graphs
    assert sig(cn_pipe) != sig() and sig(cn_pipe).controlnet and not sig().controlnet
    assert sig(width=64, height=32) != sig() and (sig(height=32).width, sig(height=32).height) == (64, 32)
    assert sig(guidance_scale=5.0).cfg and not sig(guidance_scale=1.0).cfg and not sig(guidance_scale=0.0).cfg
    assert sig(guidance_scale=1.0) != sig()
    assert sig(guidance_scale=7.5) == sig()
    assert sig(num_images_per_prompt=4) != sig() and sig(num_images_per_prompt=4).batch == 4
    assert sig(prompt=["a", "b"], num_images_per_prompt=2).batch == 4
    assert sig(prompt=None, prompt_embeds=torch.zeros(3, 77, 64)).batch == 3
    defaults = call_signature(pipe, {})
    assert (defaults.width, defaults.height, defaults.cfg, defaults.batch) == (256, 256, True, 1)  # diffusers' defaults

    assert sig(cn_pipe, control_guidance_end=0.5).controlnet_window
    assert sig(cn_pipe, control_guidance_end=[0.5]).controlnet_window
    assert not sig(cn_pipe, control_guidance_end=1.0).controlnet_window and not sig(cn_pipe).controlnet_window
    assert not sig(control_guidance_end=0.5).controlnet_window  # no ControlNet, no window
    assert sig(cn_pipe, control_guidance_end=0.5) != sig(cn_pipe)

    assert sig().label() == "t2i/64x64/cfg/b1"
    assert sig(cn_pipe, width=48, guidance_scale=0.0, num_images_per_prompt=2).label() == "controlnet/48x64/nocfg/b2"
    assert sig().compile_key == ()
    prepare_pipeline(pipe, AccelerationOptions(**COMPILED_OPTIONS))
    assert sig().compile_key != () and sig().compile_key == AccelerationOptions(**COMPILED_OPTIONS).compile_key(False)


# --------------------------------------------------------------------------------------------------------------
# PipelineRunner: eager until warm, then compiled


class Where:
    """A step callback noting, per step, whether the compiled UNet or its eager module ran, and on which thread."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, bool, str]] = []

    def __call__(self, p: Any, _step: int, _t: Any, callback_kwargs: dict[str, Any]) -> dict[str, Any]:
        compiled = isinstance(p.unet, torch._dynamo.eval_frame.OptimizedModule)
        self.steps.append(("compiled" if compiled else "eager", _eager_forced(), threading.current_thread().name))
        return callback_kwargs


def test_runner_runs_eager_until_the_signature_is_warm(pipe: Any, runner: PipelineRunner, fresh_dynamo: None) -> None:
    prepare_pipeline(pipe, AccelerationOptions(**COMPILED_OPTIONS))
    shape = {"width": 64, "height": 64, "guidance_scale": 5.0}
    assert not runner.is_warm(pipe, **shape)

    where = Where()

    def two_requests() -> np.ndarray:  # both before the worker is free: one warm-up queued, not two
        first = runner.call(pipe, **call_kwargs(steps=2), callback_on_step_end=where).images
        runner.call(pipe, **call_kwargs(steps=1, seed=4))
        return first

    eager = runner.run(two_requests)
    assert runner.counts["eager"] == 2 and runner.counts["compiled"] == 0
    assert where.steps == [("eager", True, runner.name)] * 2
    assert COMPILED_ON == []  # nothing compiled on the request path

    drain(runner)  # the queued warm-up, behind the requests
    assert runner.counts["warmup"] == 1 and runner.is_warm(pipe, **shape)
    assert COMPILED_ON and set(COMPILED_ON) == {runner.name}  # the warm-up compiled, on the runner's thread
    graphs = len(COMPILED_ON)

    where = Where()
    compiled = runner.call(pipe, **call_kwargs(steps=2), callback_on_step_end=where).images
    assert runner.counts["compiled"] == 1 and runner.counts["eager"] == 2
    assert where.steps == [("compiled", False, runner.name)] * 2
    assert len(COMPILED_ON) == graphs  # the warm-up's graphs serve the request: no recompilation
    assert np.abs(compiled - eager).max() < 1e-4
    drain(runner)
    assert runner.counts["warmup"] == 1  # a warm signature queues nothing
    assert not runner.is_warm(pipe, width=64, height=32, guidance_scale=5.0)  # another size is another signature


def test_runner_warm_up_front_and_allow_compile(pipe: Any, fresh_dynamo: None) -> None:
    prepare_pipeline(pipe, AccelerationOptions(**COMPILED_OPTIONS))
    shape = {"width": 64, "height": 64, "guidance_scale": 5.0}
    warmed = PipelineRunner(name=f"test-runner-{next(_names)}")
    eager_first = PipelineRunner(name=f"test-runner-{next(_names)}")
    allowed = PipelineRunner(name=f"test-runner-{next(_names)}")
    try:
        timings = warmed.warm(pipe, [(64, 64)], guidance_scales=(5.0,), steps=1, prompt="x")
        assert list(timings) == ["t2i/64x64/cfg/b1"] and timings["t2i/64x64/cfg/b1"] > 0
        assert warmed.counts["warmup"] == 1
        assert COMPILED_ON and set(COMPILED_ON) == {warmed.name}
        assert warmed.is_warm(pipe, **shape) and not warmed.is_warm(pipe, width=64, height=32, guidance_scale=5.0)
        assert not warmed.is_warm(pipe, width=64, height=64, guidance_scale=0.0)
        assert warmed.warm(pipe, [(64, 64)], guidance_scales=(5.0,), steps=1, prompt="x") == {"t2i/64x64/cfg/b1": 0.0}  # already warm

        reference = eager_first.call(pipe, **call_kwargs(steps=2)).images  # another runner: its own warm set
        assert eager_first.counts["eager"] == 1
        drain(eager_first)  # its warm-up, before another thread uses the pipeline (one runner per pipeline)

        where = Where()
        warm_call = warmed.call(pipe, **call_kwargs(steps=2), callback_on_step_end=where).images
        assert (warmed.counts["compiled"], warmed.counts["eager"]) == (1, 0)
        assert where.steps == [("compiled", False, warmed.name)] * 2
        assert np.abs(warm_call - reference).max() < 1e-4

        where = Where()
        allowed.call(pipe, allow_compile=True, **call_kwargs(steps=2), callback_on_step_end=where)
        assert (allowed.counts["compiled"], allowed.counts["eager"]) == (1, 0)
        assert where.steps == [("compiled", False, allowed.name)] * 2
        drain(allowed)
        assert allowed.counts["warmup"] == 0 and allowed.is_warm(pipe, **shape)
        assert set(COMPILED_ON) == {warmed.name}  # the graphs are the pipeline's: nothing compiled again
    finally:
        for made in (warmed, eager_first, allowed):
            made.close()


def test_runner_without_compilation_calls_the_pipeline_plainly(pipe: Any, runner: PipelineRunner) -> None:
    prepare_pipeline(pipe, AccelerationOptions(**EXACT_OPTIONS))
    assert runner.is_warm(pipe, width=64, height=64)  # nothing to compile: always warm
    expected = render(pipe, steps=2)
    np.testing.assert_array_equal(runner.call(pipe, **call_kwargs(steps=2)).images, expected)
    drain(runner)
    assert dict(runner.counts) == {"plain": 1}


class FailingCompiledUnet(torch.nn.Module):
    """Stands in for the UNet's compiled wrapper (`_orig_mod` is the real UNet, as in torch.compile's wrapper): runs the
    real UNet, or raises like a compiled graph that broke (a Triton or driver error) while `error` is set."""

    def __init__(self, unet: torch.nn.Module) -> None:
        super().__init__()
        self._orig_mod = unet
        self.error: BaseException | None = None
        self.calls = 0

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return self._orig_mod(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self._modules["_orig_mod"], name)


@pytest.fixture
def failing_compiled(pipe: Any, fresh_dynamo: None) -> FailingCompiledUnet:
    prepare_pipeline(pipe, AccelerationOptions(**COMPILED_OPTIONS))
    pipe.unet = FailingCompiledUnet(pipe.unet._orig_mod)
    return pipe.unet


def test_a_failing_compiled_call_reruns_eagerly_with_the_same_noise(pipe: Any, runner: PipelineRunner,
                                                                     failing_compiled: FailingCompiledUnet) -> None:
    shape = {"width": 64, "height": 64, "guidance_scale": 5.0}
    expected = runner.call(pipe, allow_compile=True, **call_kwargs(steps=2)).images
    assert runner.counts["compiled"] == 1 and runner.is_warm(pipe, **shape) and failing_compiled.calls == 2

    failing_compiled.error = RuntimeError("compiled graph failed")
    where = Where()
    retried = runner.call(pipe, **call_kwargs(steps=2), callback_on_step_end=where).images
    # The generators were rewound before the eager rerun: the same noise, the same image.
    np.testing.assert_array_equal(retried, expected)
    assert (runner.counts["compiled"], runner.counts["eager"]) == (1, 1)
    assert [w[:2] for w in where.steps] == [("eager", True)] * 2
    assert failing_compiled.calls == 3 and not runner.is_warm(pipe, **shape)

    # From now on that signature runs eagerly, without trying the compiled code or queueing a warm-up.
    np.testing.assert_array_equal(runner.call(pipe, **call_kwargs(steps=2)).images, expected)
    drain(runner)
    assert failing_compiled.calls == 3 and runner.counts["eager"] == 2 and runner.counts["warmup"] == 0

    with pytest.raises(RuntimeError, match="compiled graph failed"):  # explicitly asked to compile: the error stands
        runner.call(pipe, allow_compile=True, **call_kwargs(steps=2))


def test_out_of_memory_in_a_compiled_call_is_not_hidden(pipe: Any, runner: PipelineRunner, failing_compiled: FailingCompiledUnet) -> None:
    shape = {"width": 64, "height": 64, "guidance_scale": 5.0}
    runner.call(pipe, allow_compile=True, **call_kwargs(steps=1))
    failing_compiled.error = torch.OutOfMemoryError("CUDA out of memory (simulated)")
    with pytest.raises(torch.OutOfMemoryError):  # the generator's smaller retry handles it, not an eager rerun
        runner.call(pipe, **call_kwargs(steps=1))
    assert runner.counts["eager"] == 0 and runner.is_warm(pipe, **shape)  # still compiled next time
    failing_compiled.error = None
    runner.call(pipe, **call_kwargs(steps=1))
    assert runner.counts["compiled"] == 2


def test_a_failing_warm_up_leaves_the_signature_eager(pipe: Any, runner: PipelineRunner, failing_compiled: FailingCompiledUnet) -> None:
    shape = {"width": 64, "height": 64, "guidance_scale": 5.0}
    failing_compiled.error = RuntimeError("no Triton for this GPU")
    assert runner.warm(pipe, [(64, 64)], steps=1, prompt="x") == {"t2i/64x64/cfg/b1": -1.0}
    assert not runner.is_warm(pipe, **shape) and runner.counts["warmup"] == 0
    calls = failing_compiled.calls

    where = Where()
    runner.call(pipe, **call_kwargs(steps=2), callback_on_step_end=where)
    drain(runner)
    assert [w[:2] for w in where.steps] == [("eager", True)] * 2
    assert runner.counts["eager"] == 1 and runner.counts["warmup"] == 0 and failing_compiled.calls == calls  # no new try


def test_runner_warm_from_inside_the_worker(pipe: Any, runner: PipelineRunner) -> None:
    try:
        timings = runner.submit(lambda: runner.warm(pipe, [(64, 64)], steps=1, prompt="x")).result(timeout=2)
        assert list(timings) == ["t2i/64x64/cfg/b1"]
    finally:
        # Unblock a deadlocked worker: cancel what it waits for (queued behind it) so the runner can close.
        while not runner._queue.empty():
            _, _, item = runner._queue.get_nowait()
            if item is not None:
                item[1].cancel()


# --------------------------------------------------------------------------------------------------------------
# SdxlImageGenerator: every call on its runner's thread


@pytest.fixture
def tiny(imaging_settings: Any) -> Iterator[tuple[SdxlImageGenerator, Any]]:
    pipe = build_tiny_sdxl_pipeline(seed=0)
    # sdxl_compile off explicitly (its default is on): warm-up at one size, and no inductor on the CPU.
    generator = SdxlImageGenerator.from_pipeline(pipe, build_tiny_controlnet(pipe.unet), settings=imaging_settings(sdxl_compile=False),
                                                 name="tiny", render_edge=64)
    yield generator, pipe
    generator.close()


def test_generator_calls_the_pipeline_on_its_gpu_thread_only(tiny: tuple[SdxlImageGenerator, Any]) -> None:
    generator, pipe = tiny
    threads: list[str] = []
    handle = pipe.unet.register_forward_pre_hook(lambda *_: threads.append(threading.current_thread().name))
    barrier = threading.Barrier(2)
    results: dict[int, Any] = {}
    errors: list[BaseException] = []

    def caller(seed: int) -> None:
        try:
            barrier.wait(WAIT)
            results[seed] = generator.generate("카페 신메뉴", "1:1", seed, None)[0]
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    try:
        callers = [threading.Thread(target=caller, args=(seed,), name=f"caller-{seed}") for seed in (1, 2)]
        for thread in callers:
            thread.start()
        for thread in callers:
            thread.join(WAIT)
        assert not errors and set(results) == {1, 2}
        assert threads == ["adgen-tiny-gpu"] * 6  # 2 requests x 3 steps, none on a caller's thread

        # Calls one after the other give the same images: the concurrent ones did not disturb each other.
        for seed in (1, 2):
            assert generator.generate("카페 신메뉴", "1:1", seed, None)[0].image.tobytes() == results[seed].image.tobytes()

        threads.clear()
        timings = generator.warmup()
        assert list(timings) == ["t2i/64x64/cfg/b1", "controlnet/64x64/cfg/b1"]  # the ControlNet too (SDXL_PRELOAD_CONTROLNET)
        assert threads and set(threads) == {"adgen-tiny-gpu"}
    finally:
        handle.remove()


@pytest.mark.parametrize(
    ("accelerate", "guidance_end", "controlnet_runs"),
    [(True, 0.5, 2), (True, 1.0, 4), (False, 0.5, 4)],  # without prepare_pipeline diffusers runs it unscaled
)
def test_generator_controlnet_guides_the_first_steps_only(
    imaging_settings: Any, accelerate: bool, guidance_end: float, controlnet_runs: int
) -> None:
    pipe = build_tiny_sdxl_pipeline(seed=0)
    controlnet = build_tiny_controlnet(pipe.unet)
    settings = imaging_settings(sdxl_controlnet_guidance_end=guidance_end, sdxl_steps=4, sdxl_compile=False)
    generator = SdxlImageGenerator.from_pipeline(pipe, controlnet, settings=settings, name="tiny", render_edge=64, accelerate=accelerate)
    scales: list[tuple[float, str]] = []

    def note_scale(_module: Any, _args: Any, kwargs: dict[str, Any]) -> None:
        scales.append((float(kwargs["conditioning_scale"]), threading.current_thread().name))

    handle = controlnet.register_forward_pre_hook(note_scale, with_kwargs=True)
    runs = CallCounter(controlnet.controlnet_mid_block)
    try:
        [result] = generator.generate("상품 광고", "1:1", 5, None, product_photo((300, 400)))
    finally:
        handle.remove()
        runs.remove()
        generator.close()
    assert result.metadata["method"] == "controlnet"
    assert result.metadata["control_guidance_end"] == guidance_end
    kept = int(4 * guidance_end)
    assert scales == [(0.5, "adgen-tiny-gpu")] * kept + [(0.0, "adgen-tiny-gpu")] * (4 - kept)
    assert runs.calls == controlnet_runs
    skip = controlnet.__dict__.get("forward")
    if accelerate:
        assert isinstance(skip, _SkipUnscaledControlNet) and (skip.run, skip.skipped) == (kept, 4 - kept)
    else:
        assert skip is None


# --------------------------------------------------------------------------------------------------------------
# SDXL_COMPILE_SHAPES: the runner's compile filter


def test_a_signature_the_compile_filter_refuses_always_runs_eagerly(pipe: Any, fresh_dynamo: None) -> None:
    prepare_pipeline(pipe, AccelerationOptions(**COMPILED_OPTIONS))
    runner = PipelineRunner(name=f"test-runner-{next(_names)}", compile_filter=lambda sig: (sig.width, sig.height) == (64, 64))
    try:
        for _ in range(2):
            runner.call(pipe, **call_kwargs(steps=1, width=64, height=32))
            drain(runner)
        assert runner.counts["eager"] == 2 and runner.counts["warmup"] == 0 and COMPILED_ON == []  # never queued, never compiled
        assert runner.compiles(call_signature(pipe, {"width": 64, "height": 64})) and not runner.is_warm(pipe, width=64, height=32)

        runner.call(pipe, **call_kwargs(steps=1))  # an allowed shape: eager once, its warm-up queued, then compiled
        drain(runner)
        runner.call(pipe, **call_kwargs(steps=1))
        assert (runner.counts["warmup"], runner.counts["compiled"]) == (1, 1) and COMPILED_ON

        compiled_before = len(COMPILED_ON)
        timings = runner.warm(pipe, [(32, 64)], guidance_scales=(5.0,), steps=1, prompt="x")  # refused: one eager run
        assert list(timings) == ["t2i/32x64/cfg/b1"] and runner.counts["warmup_eager"] == 1
        assert len(COMPILED_ON) == compiled_before and not runner.is_warm(pipe, width=32, height=64)
    finally:
        runner.close()


def test_the_generator_compiles_only_the_shapes_its_setting_names(imaging_settings: Any, monkeypatch: pytest.MonkeyPatch,
                                                                   fresh_dynamo: None) -> None:
    """SDXL_COMPILE_SHAPES end to end on the generator: the warm-up compiles the named single-image shapes (4:3 here),
    requests of other shapes run eagerly for good, named ones compiled. Inductor stands in for dynamo's eager backend."""
    from adgen.imaging import sdxl

    def options_for_the_cpu(settings: Any) -> AccelerationOptions:
        return AccelerationOptions(**{**EXACT_OPTIONS, "compile": settings.sdxl_compile, "compile_backend": RECORDING_EAGER,
                                      "cuda_graphs": False, "compile_vae": False})

    monkeypatch.setattr(sdxl.AccelerationOptions, "from_settings", staticmethod(options_for_the_cpu))
    pipe = build_tiny_sdxl_pipeline(seed=0)
    settings = imaging_settings(sdxl_compile=True, sdxl_compile_shapes="4:3/1/t2i, 4:3/2", sdxl_steps=2, sdxl_preload_controlnet=False)
    generator = SdxlImageGenerator.from_pipeline(pipe, settings=settings, name="tiny", render_edge=64, accelerate=True)
    runner = generator._runner
    try:
        assert list(generator.warmup()) == ["t2i/64x48/cfg/b1"] and runner.counts["warmup"] == 1 and COMPILED_ON
        generator.generate("x", "4:3", 1, None)
        generator.generate("x", "1:1", 1, None)
        generator.generate("x", "1:1", 1, None)
        drain(runner)
        assert (runner.counts["compiled"], runner.counts["eager"], runner.counts["warmup"]) == (1, 2, 1)  # 1:1 never warmed

        generator.generate("x", "4:3", 1, None, num_images=2)  # named: eager once, warmed behind it, then compiled
        drain(runner)
        generator.generate("x", "4:3", 1, None, num_images=2)
        assert (runner.counts["compiled"], runner.counts["eager"], runner.counts["warmup"]) == (2, 3, 2)
    finally:
        generator.close()


@pytest.mark.parametrize(
    ("shapes", "size", "batch", "photo", "compiles"),
    [("all", (64, 64), 1, False, True),
     ("all", (48, 48), 3, True, True),  # a size of no ratio (an out-of-memory retry): only with `all`
     ("1:1/1/t2i", (64, 64), 1, False, True),
     ("1:1/1/t2i", (64, 64), 1, True, False),
     ("1:1/1/t2i", (64, 64), 2, False, False),
     ("1:1/1/t2i", (48, 48), 1, False, False),
     ("*/1", (48, 64), 1, True, True),  # 3:4 at a 64 px long edge
     ("*/1", (48, 64), 4, True, False),
     ("3:4/*/photo", (48, 64), 4, True, True)],
)
def test_generator_maps_call_signatures_to_compile_shapes(imaging_settings: Any, shapes: str, size: tuple[int, int], batch: int,
                                                           photo: bool, compiles: bool) -> None:
    generator = SdxlImageGenerator.from_pipeline(build_tiny_sdxl_pipeline(seed=0), settings=imaging_settings(sdxl_compile_shapes=shapes),
                                                 render_edge=64)
    signature = acceleration.CallSignature(pipeline=0, controlnet=photo, width=size[0], height=size[1], cfg=True, batch=batch,
                                           controlnet_window=False, compile_key=("x",))
    try:
        assert generator._runner.compiles(signature) is compiles
    finally:
        generator.close()
