"""What the tests share: fakes of the platforms, process helpers, worlds and the plugin.

Test modules import plain helpers from here; fixtures come from :mod:`tests.support.plugin`,
which ``tests/conftest.py`` loads for every test, and are never imported.
"""
