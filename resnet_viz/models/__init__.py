"""Model zoo: the paper's CIFAR ResNets and plain twins (``cifar``), torchvision ImageNet ResNets and plain
twins and comparison architectures (``imagenet``), behind one registry (``registry``); pretrained weights
(``weights``), parameter and FLOP counts (``stats``) and display names (``names``, no torch)."""
