# Writes the jaxprs JAX prints for the vmap goldens of VmapTests (run: python3 jax_jaxprs.py).
# VmapTests compares the primitive sequence of axc's vmap with these files; CI does not need JAX.
import os
import jax
import jax.numpy as jnp

here = os.path.dirname(os.path.abspath(__file__))


def neuron(x, W, b):
    return jnp.sum(jnp.tanh(x @ W + b))


f32 = jnp.float32
jaxpr = jax.make_jaxpr(jax.vmap(neuron, in_axes=(0, None, None)))(
    jnp.zeros((7, 5), f32), jnp.zeros((5, 3), f32), jnp.zeros((3,), f32))
with open(os.path.join(here, "neuron_vmap.jaxpr"), "w") as f:
    f.write(str(jaxpr) + "\n")
