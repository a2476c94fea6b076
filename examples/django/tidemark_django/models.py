# No models. This module exists so that Django sends post_migrate to this app
# (it does so only for apps with a models module); see apps.py.
