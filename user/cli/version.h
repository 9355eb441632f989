#define PYBPF_VERSION "0.1.0"
