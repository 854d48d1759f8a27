"""A classroom server: who may do what (teacher and student roles), and the per-session limits that keep one
browser tab from starving the other twenty-nine. Torch-free and Streamlit-free: ``resnet_viz.ui.access`` binds
them to the running server."""
