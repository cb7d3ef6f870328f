"""The protocol: `.proto` files and the Python code generated from them."""
