"""Pure functions that measure a network: gradients, activations, responses, ...

Each works on a model passed in and leaves it as it found it: no hooks left registered, no
``.grad`` written, no BatchNorm statistics changed on a shared model (probes that need
train-mode BatchNorm run on a private copy).
"""
