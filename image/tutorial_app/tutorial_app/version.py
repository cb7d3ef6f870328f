"""The one place that names the app's image and version.

`CreateTask` tells providers to run exactly this image, and the Docker build
tags the image from here, so what is built, tested and announced agree.
"""

from importlib import metadata

APP_NAME = "tutorial_app"
IMAGE_NAME = "golemfactory/tutorialapp"

try:
    VERSION = metadata.version("tutorial-app")
except metadata.PackageNotFoundError:  # running from a source tree
    VERSION = "1.0.0"

IMAGE_TAG = VERSION
