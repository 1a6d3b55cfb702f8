"""(being written)"""

from flask import Blueprint

bp = Blueprint("templates_api", __name__)
