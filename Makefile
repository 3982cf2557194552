# axc — build, demo, test. `make demo` and `make test` install libtcc-dev and tcc when missing.
SWIFT ?= swift
AXC_RELEASE := .build/release/axc

.PHONY: deps deps-mpi build demo test bench fuzz embed-demo clean

# libtcc (static library and header) and tcc (libtcc1.a and tcc's headers) from Debian; and for the
# MemorySanitizer test, clang-14 with its sanitizer runtimes when no clang on PATH links -fsanitize=memory
# (Swift toolchains ship one; without it the test records a known issue and skips).
deps:
	@if [ ! -f /usr/include/libtcc.h ] || [ ! -f /usr/lib/x86_64-linux-gnu/tcc/libtcc1.a ]; then \
	  echo "installing libtcc-dev and tcc with apt-get"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libtcc-dev tcc; \
	fi
	@if ! echo 'int main(void) { return 0; }' | clang -fsanitize=memory -x c - -o /tmp/axc-msan-probe 2>/dev/null && \
	   ! echo 'int main(void) { return 0; }' | clang-14 -fsanitize=memory -x c - -o /tmp/axc-msan-probe 2>/dev/null; then \
	  echo "installing clang-14 and libclang-rt-14-dev with apt-get (MemorySanitizer)"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang-14 libclang-rt-14-dev || true; \
	fi; rm -f /tmp/axc-msan-probe

# Open MPI from Debian, for the MPI tests (Tests/AxCoreTests/MPITests.swift), `make embed-demo`'s MPI program and
# `axc run --distributed mpi`; axc itself builds and runs without it (docs/cli.md).
deps-mpi:
	@if ! command -v mpirun >/dev/null || ! command -v mpicc >/dev/null; then \
	  echo "installing openmpi-bin and libopenmpi-dev with apt-get"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openmpi-bin libopenmpi-dev \
	    || echo "could not install Open MPI: the MPI tests record a known issue and skip"; \
	fi

build: deps
	$(SWIFT) build -c release --product axc

demo: build
	@./scripts/demo.sh $(AXC_RELEASE)

test: deps deps-mpi
	$(SWIFT) build --product axc
	$(SWIFT) test

# JAX and axc side by side (bench/run.py, docs/performance.md): installs jax with pip and clang with apt-get when missing,
# builds the release axc and prints one table. Takes several minutes (the outer-sum workload is large).
bench: deps-mpi
	@if ! python3 -c "import jax" 2>/dev/null; then \
	  echo "installing jax with pip"; \
	  python3 -m pip install --quiet jax || python3 -m pip install --quiet --break-system-packages jax; \
	fi
	@if ! command -v clang >/dev/null 2>&1; then \
	  echo "installing clang with apt-get (the standalone-C column)"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang || \
	  echo "clang could not be installed: its column is skipped"; \
	fi
	$(MAKE) build
	python3 bench/run.py --axc $(AXC_RELEASE)

clean:
	rm -rf .build

# Bounded fuzzing of the debug axc, two fuzzers one after the other, each for FUZZ_SECONDS (default 300;
# FUZZ_SEED to replay): scripts/fuzz.py throws garbage at the front end (findings saved under
# Tests/AxCoreTests/Data/regressions/); scripts/difffuzz.py runs random well-typed programs eager vs jit vs
# JAX (when `import jax` works) and checks vmap batch invariance (reduced findings saved under
# Tests/AxCoreTests/Data/fuzz-findings/). A finding of either makes the rule fail.
FUZZ_TIME := $(or $(FUZZ_SECONDS),300)
fuzz: deps
	$(SWIFT) build --product axc
	python3 scripts/fuzz.py .build/debug/axc --seconds $(FUZZ_TIME); front=$$?; \
	python3 scripts/difffuzz.py .build/debug/axc --seconds $(FUZZ_TIME); diff=$$?; \
	test $$front -eq 0 && test $$diff -eq 0

# The embedding demo (Samples/embed/README.md): axc compile three samples to C, build them with the system C
# compiler in strict C99 and run the C program, which checks the kernels against its own loops.
EMBED := Samples/embed
EMBED_BUILD := $(EMBED)/build
EMBED_CFLAGS := -std=c99 -Wall -Wextra -pedantic -Werror -O2
embed-demo: deps deps-mpi
	$(SWIFT) build --product axc
	@mkdir -p $(EMBED_BUILD)
	.build/debug/axc compile Samples/linear.ax --fn per_example_grads -o $(EMBED_BUILD)/linear_kernels.c
	.build/debug/axc compile Samples/neuron.ax --fn batched -o $(EMBED_BUILD)/neuron_kernels.c
	.build/debug/axc compile Samples/mlp.ax --fn per_example_grads --prefix mlp_ -o $(EMBED_BUILD)/mlp_kernels.c
	$(CC) $(EMBED_CFLAGS) -I$(EMBED_BUILD) -c $(EMBED)/main.c -o $(EMBED_BUILD)/main.o
	$(CC) $(EMBED_CFLAGS) -c $(EMBED_BUILD)/linear_kernels.c -o $(EMBED_BUILD)/linear_kernels.o
	$(CC) $(EMBED_CFLAGS) -c $(EMBED_BUILD)/neuron_kernels.c -o $(EMBED_BUILD)/neuron_kernels.o
	$(CC) $(EMBED_CFLAGS) -c $(EMBED_BUILD)/mlp_kernels.c -o $(EMBED_BUILD)/mlp_kernels.o
	$(CC) -o $(EMBED_BUILD)/embed $(EMBED_BUILD)/main.o $(EMBED_BUILD)/linear_kernels.o \
	  $(EMBED_BUILD)/neuron_kernels.o $(EMBED_BUILD)/mlp_kernels.o -lm
	./$(EMBED_BUILD)/embed
	@# pmap: the device kernels on pthreads with the program's own table, then over MPI (one device per rank), both
	@# checked against axc run on the same inputs (Samples/embed/README.md).
	.build/debug/axc compile Samples/pmap.ax --fn step --fn spreads --fn halo_grads --prefix pm_ -o $(EMBED_BUILD)/pmap_kernels.c
	$(CC) $(EMBED_CFLAGS) -c $(EMBED_BUILD)/pmap_kernels.c -o $(EMBED_BUILD)/pmap_kernels.o
	$(CC) $(EMBED_CFLAGS) -I$(EMBED_BUILD) $(EMBED)/pmap_threads.c $(EMBED_BUILD)/pmap_kernels.o -o $(EMBED_BUILD)/pmap_threads -lpthread -lm
	./$(EMBED_BUILD)/pmap_threads inputs $(EMBED_BUILD)
	.build/debug/axc run Samples/pmap.ax --fn step --arg w=$(EMBED_BUILD)/pm_w.npy --arg x=$(EMBED_BUILD)/pm_x.npy \
	  --arg y=$(EMBED_BUILD)/pm_y.npy --out $(EMBED_BUILD)/ref_step > /dev/null
	.build/debug/axc run Samples/pmap.ax --fn spreads --arg x=$(EMBED_BUILD)/pm_xs.npy --out $(EMBED_BUILD)/ref_spreads > /dev/null
	.build/debug/axc run Samples/pmap.ax --fn halo_grads --arg x=$(EMBED_BUILD)/pm_xh.npy --out $(EMBED_BUILD)/ref_halo_grads > /dev/null
	./$(EMBED_BUILD)/pmap_threads check $(EMBED_BUILD)
	mpicc $(EMBED_CFLAGS) -I$(EMBED_BUILD) $(EMBED)/pmap_mpi.c $(EMBED_BUILD)/pmap_kernels.o -o $(EMBED_BUILD)/pmap_mpi -lm
	mpirun --allow-run-as-root --oversubscribe -np 4 ./$(EMBED_BUILD)/pmap_mpi $(EMBED_BUILD)
