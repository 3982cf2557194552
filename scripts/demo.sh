#!/usr/bin/env bash
# make demo: the flagship samples with the release build of axc — check, IR, run, and timings.
set -euo pipefail
AXC=${1:-.build/release/axc}
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step "$AXC" check Samples/linear.ax
# Samples/neuron.ax: vmap of the one-example neuron gives the same primitives as the hand-batched einsum
step "$AXC" ir Samples/neuron.ax --fn batched
step "$AXC" ir Samples/neuron.ax --fn neuron_manual
# Samples/linear.ax: per-example gradients, compiled to one kernel, for w=2, b=1 on five examples
step "$AXC" run Samples/linear.ax --fn per_example_grads --size n=5 --arg params.0=2 --arg params.1=1
step "$AXC" run Samples/linear.ax --fn mean_grad --size n=5 --arg params.0=2 --arg params.1=1
step "$AXC" run Samples/higher_order.ax --fn d3f --arg x=0.5
# Samples/jacobians.ax: a robot arm's Jacobian, and Hessian-vector products of its energy for 3 directions
step "$AXC" run Samples/jacobians.ax --fn jacobian_rev --arg q=0.3 --arg lengths.0=1 --arg lengths.1=0.5
step "$AXC" run Samples/jacobians.ax --fn batched_hvp --size n=3 --arg q=0.3 --arg lengths.0=1 --arg lengths.1=0.5 --arg lengths_dot.0=0 --arg lengths_dot.1=0
# Samples/add.ax: the fused kernel against op-by-op execution and the per-example loop
mkdir -p out   # git-ignored; axc prints "wrote out/demo-add.svg"
step "$AXC" bench Samples/add.ax --fn jit_vmapped_add --size n=1000000 --runs 20 --plot out/demo-add.svg
step "$AXC" bench Samples/linear.ax --fn per_example_grads --size n=1000000 --runs 20
# Samples/neuron.ax: the vmapped neuron — tanh through the vector runtime, split between cores
step "$AXC" bench Samples/neuron.ax --fn batched --size n=1000000 --runs 10
