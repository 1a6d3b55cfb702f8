"""(being written)"""

from flask import Blueprint

bp = Blueprint("sign", __name__)
