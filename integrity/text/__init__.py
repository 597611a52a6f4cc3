"""Text pipeline: normalisation with an offset map (``normalise``) and jieba tokenisation (``tokenise``).

``tokenise`` is imported lazily by its callers (``integrity.text.tokenise``) so that importing this
package does not load jieba.
"""

from integrity.text.normalise import MatchKey, NormalisedText, match_key, normalise

__all__ = ["MatchKey", "NormalisedText", "match_key", "normalise"]
